import { SegmentEvent } from '@audience-sync/contracts';
import { eventually, uniqueName } from '../support/env';
import { Stack } from '../support/stack';

/**
 * The whole product against the Microsoft emulator: a dry run asked through the API reports what
 * a full sync would do and the list stays as it was; the full sync then does what it said.
 */
describe('a dry run, end to end', () => {
  const stack = new Stack();

  beforeAll(() => stack.start(), 180000);
  afterAll(() => stack.stop());

  /** Asks for a dry run until one sees `ready` (the streamer meets run requests and events on topics of their own). */
  async function dryRunUntil(exportId: string, ready: (result: any) => boolean): Promise<any> {
    let last: any;
    await eventually(
      async () => {
        const asked = await stack.api('POST', `/exports/${exportId}/runs`, { dryRun: true });
        expect(asked).toMatchObject({ status: 202, body: { trigger: 'dry-run' } });
        await eventually(async () => (last = (await stack.runs(exportId)).find((r) => r.id === asked.body.id))?.state === 'succeeded', 30000, 'the dry run to succeed');
        return ready(last.dryRun);
      },
      90000,
      'a dry run that sees the members',
    );
    return last;
  }

  it('counts what the full sync then does, and sends nothing', async () => {
    const seg = uniqueName('Dry');
    const connectionId = await stack.connect('microsoft-advertising');
    const body = { displayName: 'dry', connectionId, segments: [{ id: seg, name: seg }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } };
    const created = await stack.api('POST', '/exports', body);
    expect(created.status).toBe(201);
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    // Before the export's first sync, entries are stored, not sent.
    const entered = (i: number, attributes: Record<string, string>): SegmentEvent => ({ type: 'membership', eventId: `${seg}-e${i}`, occurredAt: '2026-11-03T00:00:01Z', segmentId: seg, segmentName: seg, profileId: `${seg}-p${i}`, status: 'entered', attributes });
    await stack.publish([0, 1, 2].map((i) => entered(i, { PrimaryEmail: `dry${i}@example.com` })).concat(entered(3, { Phone: '+4790000000' })));

    expect((await stack.api('POST', `/exports/${exportId}/runs`, { dryRun: true, force: true })).status).toBe(400);
    const dry = await dryRunUntil(exportId, (r) => r.wouldAdd + r.invalid === 4);
    expect(dry).toMatchObject({ trigger: 'dry-run', state: 'succeeded', counts: { sent: 0, removed: 0, invalid: 0, failed: 0 } });
    expect(dry.dryRun).toMatchObject({ wouldAdd: 3, wouldKeep: 0, wouldRemove: 0, invalid: 1, invalidByReason: { 'no-mapped-identifier': 1 } });
    expect(dry.dryRun.samples.add).toHaveLength(3);
    for (const sample of dry.dryRun.samples.add) expect(sample.row).toMatch(/^[\w-]{12}$/);
    expect(await stack.microsoftMembers(seg)).toBeUndefined();

    // Only a dry run so far: a change of segments is no reason for a full sync.
    const changed = await stack.api('PATCH', `/exports/${exportId}`, { segments: [{ id: seg, name: seg }, { id: `${seg}-b`, name: `${seg}-b` }] });
    expect(changed.status).toBe(200);
    expect(changed.body.startedRun).toBeUndefined();
    await stack.untilActive(exportId, changed.body.version);

    const real = await stack.api('POST', `/exports/${exportId}/runs`);
    expect(real.status).toBe(202);
    let done: any;
    await eventually(async () => (done = (await stack.runs(exportId)).find((r) => r.id === real.body.id))?.state === 'succeeded', 60000, 'the full sync to succeed');
    expect(done.counts).toMatchObject({ sent: dry.dryRun.wouldAdd, removed: 0, invalid: dry.dryRun.invalid });
    expect(done.dryRun).toBeUndefined();
    await eventually(async () => (await stack.microsoftMembers(seg))?.length === 3, 60000, 'the list to hold the members');

    const again = await dryRunUntil(exportId, () => true);
    expect(again.dryRun).toMatchObject({ wouldAdd: 0, wouldKeep: 3, wouldRemove: 0, invalid: 1 });
    expect(await stack.microsoftMembers(seg)).toHaveLength(3);
  });
});
