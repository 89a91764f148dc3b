import { createHash } from 'node:crypto';
import { SegmentEvent } from '@audience-sync/contracts';
import { eventually, uniqueName } from '../support/env';
import { Stack } from '../support/stack';
import { drained, PIPELINE } from '../support/drained';

const email = (i: number) => `ms-gone${i}@example.com`;
const row = (i: number) => createHash('sha256').update(email(i)).digest('hex').slice(0, 16);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (xs: Iterable<string>) => [...xs].sort();

/**
 * The whole product (registry, streamer, hasher, sink-microsoft-ads) against the Microsoft
 * emulator; the Customer Match list is deleted at the platform between a refresh and live enters.
 */
describe('a Microsoft Customer Match list deleted mid-stream, end to end', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-03T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();
  const refresh = (segmentId: string, ids: number[]): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    return [{ type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: { PrimaryEmail: email(i) } })) }];
  };
  const enter = (segmentId: string, i: number): SegmentEvent => ({ type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'entered', attributes: { PrimaryEmail: email(i) } });
  const list = (name: string) => [...stack.emulators.microsoft.audiences.values()].find((a) => a.name === name);
  const holds = (name: string, ids: number[]) =>
    eventually(async () => JSON.stringify(sorted((await stack.microsoftMembers(name)) ?? [])) === JSON.stringify(sorted(ids.map(row))), 60000, `list ${name} to hold ${ids.length} members`);

  /** Deletes a list as an advertiser would, through the API with a token of their own. */
  async function deleteList(id: string): Promise<void> {
    const base = stack.emulators.microsoft.url;
    const redirect = 'http://127.0.0.1:1/cb';
    const signIn = await fetch(`${base}/common/oauth2/v2.0/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    const code = new URL(signIn.headers.get('location')!).searchParams.get('code')!;
    const tokens = await fetch(`${base}/common/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'emulator-client-id', client_secret: 'emulator-client-secret', grant_type: 'authorization_code', code, redirect_uri: redirect }) });
    const { access_token } = (await tokens.json()) as { access_token: string };
    const deleted = await fetch(`${base}/CampaignManagement/v13/Audiences`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${access_token}`, DeveloperToken: 'BBD37VB98', CustomerId: '1000001', CustomerAccountId: '2000001' },
      body: JSON.stringify({ AudienceIds: [id] }),
    });
    expect(await deleted.json()).toEqual({ PartialErrors: [] });
  }

  beforeAll(async () => {
    await stack.start();
  }, 180000);
  afterAll(() => stack.stop());

  it('makes the list again, asks the registry for one full sync, and the new list ends with every member', async () => {
    const seg = uniqueName('Gone');
    const connectionId = await stack.connect('microsoft-advertising');
    const created = await stack.api('POST', '/exports', { displayName: 'gone', connectionId, segments: [{ id: seg, name: seg }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect(created.status).toBe(201);
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    await stack.publish(refresh(seg, range(0, 20)));
    await holds(seg, range(0, 20));
    const first = list(seg)!.id;

    await deleteList(first);
    await stack.publish(range(20, 25).map((i) => enter(seg, i)));
    await holds(seg, range(0, 25)); // the earlier members too, not only the enters after the deletion
    expect(list(seg)!.id).not.toBe(first);
    const refill = await eventually(async () => (await stack.runs(exportId)).find((r) => r.requestedBy === 'sink-microsoft-ads' && r.state === 'succeeded'), 60000, 'the full sync the sink asked for to succeed');
    expect(refill.trigger).toBe('on-demand');
    // Every stage has handled all there was: a batch that found the list gone again would have asked by now.
    await drained(PIPELINE.filter(([group]) => group !== 'sink-facebook'));
    expect((await stack.runs(exportId)).filter((r) => r.requestedBy === 'sink-microsoft-ads')).toHaveLength(1);
    await holds(seg, range(0, 25));
  });
});
