import { createHash } from 'node:crypto';
import { SegmentEvent } from '@audience-sync/contracts';
import { facebookRows } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { Stack } from '../support/stack';
import { eventually, uniqueName } from '../support/env';

type Attrs = Record<string, string>;
const attrs = (i: number): Attrs => ({ PrimaryEmail: `terms${i}@example.com` });
const fbRow = (i: number) => memberKey(facebookRows(['EMAIL'], [{ op: 'add', identifiers: { EMAIL: attrs(i).PrimaryEmail } }]).adds[0]);
const msRow = (i: number) => createHash('sha256').update(attrs(i).PrimaryEmail).digest('hex').slice(0, 16);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (xs: Iterable<string>) => [...xs].sort();

/**
 * The platform answers that the account has not accepted its terms: the run fails saying what to
 * accept where, the connection shows terms-not-accepted, and once the terms are accepted an
 * administrator's confirmation starts full syncs that leave the audiences exact.
 */
describe('end to end: terms not accepted, then accepted', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-01T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();
  const member = (segmentId: string, i: number, status: 'entered' | 'exited'): SegmentEvent => ({
    type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status, attributes: status === 'entered' ? attrs(i) : null,
  });
  const refresh = (segmentId: string, ids: number[]): SegmentEvent[] => [
    { type: 'refresh', eventId: uniqueName('r'), occurredAt: at(), segmentId, segmentName: segmentId, refreshId: uniqueName('r'), part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: attrs(i) })) },
  ];
  const emulatorAccount = (url: string, accountId: string, termsAccepted: boolean) =>
    fetch(`${url}/_emulator/accounts/${accountId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsAccepted }) }).then((r) => expect(r.status).toBe(200));
  const connection = async (id: string) => (await stack.api('GET', `/connections/${id}`)).body;
  const runState = async (exportId: string, runId: string) => (await stack.runs(exportId)).find((r) => r.id === runId);

  /** Flags the connection, then confirms: the answer's full syncs succeed and leave `expected` at the platform. */
  async function confirmAndSync(connectionId: string, exportId: string, holds: () => Promise<string[]>, expected: string[]) {
    const confirmed = await stack.api('POST', `/connections/${connectionId}/terms-accepted`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ id: connectionId, startedRuns: [{ exportId, runId: expect.any(String) }] });
    expect(confirmed.body.status).not.toBe('terms-not-accepted');
    const { runId } = confirmed.body.startedRuns[0];
    const run = await eventually(async () => ((await runState(exportId, runId))?.state === 'succeeded' ? runState(exportId, runId) : undefined), 60000, 'the full sync to succeed');
    expect(run.error).toBeUndefined();
    expect(sorted(await holds())).toEqual(sorted(expected));
    expect((await connection(connectionId)).status).toBe('ready');
  }

  beforeAll(() => stack.start(), 180000);
  afterAll(() => stack.stop());

  it('Facebook (200/1870090 on act_1001): the run fails with the terms message, the connection says so; confirmed, the full sync makes the audience exact', async () => {
    const seg = uniqueName('fb-terms');
    const connectionId = await stack.connect('facebook-ads');
    const chosen = await stack.api('PUT', `/connections/${connectionId}/facebook/audience`, { adAccountId: 'act_1001', create: { name: uniqueName('terms-list') } });
    expect(chosen.status).toBe(200);
    const audienceId = chosen.body.facebook.audienceId as string;
    const created = await stack.api('POST', '/exports', { displayName: 'fb terms', connectionId, segments: [{ id: seg, name: seg }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    expect(created.status).toBe(201);
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    await stack.publish(refresh(seg, range(0, 5)));
    await eventually(async () => (await stack.facebookMembers(audienceId)).length === 5, 60000, 'the first refresh to arrive');

    await emulatorAccount(stack.emulators.facebook.url, '1001', false);
    const run = await stack.api('POST', `/exports/${exportId}/runs`);
    expect(run.status).toBe(202);
    const failed = await eventually(async () => ((await runState(exportId, run.body.id))?.state === 'failed' ? runState(exportId, run.body.id) : undefined), 60000, 'the run to fail');
    expect(failed.error).toMatch(/custom audience terms are not accepted for this ad account; accept them in Facebook Ads Manager/);
    const flagged = await eventually(async () => ((await connection(connectionId)).status === 'terms-not-accepted' ? connection(connectionId) : undefined), 30000, 'the connection to show the terms');
    expect(flagged.statusMessage).toContain('accept them in Facebook Ads Manager');
    expect(flagged.statusMessage).toContain(`POST /connections/${connectionId}/terms-accepted`);
    // Changes meanwhile are refused by the platform too; the confirmation's full sync brings them.
    await stack.publish([member(seg, 10, 'entered'), member(seg, 0, 'exited')]);
    expect(sorted(await stack.facebookMembers(audienceId))).toEqual(sorted(range(0, 5).map(fbRow)));

    await emulatorAccount(stack.emulators.facebook.url, '1001', true);
    await confirmAndSync(connectionId, exportId, () => stack.facebookMembers(audienceId), [...range(1, 5), 10].map(fbRow));
  });

  it('Microsoft (8003 on account 2000002, seeded without the terms): the same, once the terms are accepted', async () => {
    const seg = uniqueName('ms-terms');
    const connectionId = await stack.connect('microsoft-advertising');
    const created = await stack.api('POST', '/exports', { displayName: 'ms terms', connectionId, segments: [{ id: seg, name: seg }], microsoft: { customerId: '1000001', accountId: '2000002', emailAttribute: 'PrimaryEmail' } });
    expect(created.status).toBe(201);
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    await stack.publish(refresh(seg, range(0, 5)));
    const failed = await eventually(async () => (await stack.runs(exportId)).find((r) => r.state === 'failed'), 60000, 'the refresh to fail');
    expect(failed.error).toMatch(/accept the Customer Match terms in Microsoft Advertising \(Tools > Audiences\)/);
    await eventually(async () => (await connection(connectionId)).status === 'terms-not-accepted', 30000, 'the connection to show the terms');

    await emulatorAccount(stack.emulators.microsoft.url, '2000002', true);
    await confirmAndSync(connectionId, exportId, async () => (await stack.microsoftMembers(seg)) ?? [], range(0, 5).map(msRow));
  });
});
