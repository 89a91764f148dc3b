import { Topics } from './topics';
import { profileAttributesSchema } from './segment-events';
import { hashedAttributesSchema } from './hashed-events';

const issues = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => (result.success ? [] : result.error!.issues.map((i) => [i.path.join('.'), i.message]));

describe('attribute records (upstream and hashed)', () => {
  it('accept what each carries, as given', () => {
    const plain = { Email: 'a@example.com', Age: 41, Vip: true, Phone: null };
    expect(profileAttributesSchema.parse(plain)).toEqual(plain);
    const hashed = { Email: 'EMAIL=abc', Phone: { PHONE: 'x', 'PHONE@Country': 'y' }, Other: '', Cleared: null };
    expect(hashedAttributesSchema.parse(hashed)).toEqual(hashed);
    expect(profileAttributesSchema.parse({})).toEqual({});
  });

  it('name each bad attribute and what was expected', () => {
    expect(issues(profileAttributesSchema.safeParse({ Email: 'ok', Tags: ['a'], Nested: { a: 1 }, Big: Infinity }))).toEqual([
      ['Tags', 'expected a string, number, boolean or null'],
      ['Nested', 'expected a string, number, boolean or null'],
      ['Big', 'expected a string, number, boolean or null'],
    ]);
    expect(issues(hashedAttributesSchema.safeParse({ Email: 7, Phone: { PHONE: 1 }, List: ['a'] }))).toEqual([
      ['Email', 'expected a digest string, null, or digests by rule'],
      ['Phone', 'expected a digest string, null, or digests by rule'],
      ['List', 'expected a digest string, null, or digests by rule'],
    ]);
  });

  it('refuse what is not a record of attributes', () => {
    for (const value of [[], 'text', 3, undefined]) {
      expect(issues(hashedAttributesSchema.safeParse(value))).toEqual([['', 'expected an object of attributes by name']]);
      expect(issues(profileAttributesSchema.safeParse(value))).toEqual([['', 'expected an object of attributes by name']]);
    }
  });

  it('give the path within an event', () => {
    const event = { type: 'refresh', eventId: 'e', occurredAt: '2026-12-01T00:00:00Z', segmentId: 's', segmentName: 's', refreshId: 'r', part: 1, final: true, members: [{ profileId: 'p', attributes: { Email: 'EMAIL=a' } }, { profileId: 'q', attributes: { Email: false } }] };
    expect(issues(Topics.hashedSegmentEvents.schema.safeParse(event))).toEqual([['members.1.attributes.Email', 'expected a digest string, null, or digests by rule']]);
    expect(issues(Topics.segmentEvents.schema.safeParse({ ...event, members: [{ profileId: 'q', attributes: { Email: {} } }] }))).toEqual([['members.0.attributes.Email', 'expected a string, number, boolean or null']]);
  });
});
