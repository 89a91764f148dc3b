import { SegmentEvent } from '@audience-sync/contracts';
import { facebookRows } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { Stack } from '../support/stack';
import { eventually, uniqueName } from '../support/env';

const email = (i: number) => `pause${i}@example.com`;
const row = (i: number) => memberKey(facebookRows(['EMAIL'], [{ op: 'add', identifiers: { EMAIL: email(i) } }]).adds[0]);
const rows = (ids: number[]) => ids.map(row).sort();

/**
 * On the real stack: a paused export's Facebook audience stays as it was while another export on
 * the same segment follows every change; the resume's full sync makes it exact.
 */
describe('end to end: pausing and resuming an export', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-01T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();
  const member = (segmentId: string, i: number, status: 'entered' | 'exited'): SegmentEvent => ({
    type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status, attributes: status === 'entered' ? { PrimaryEmail: email(i) } : null,
  });
  const refresh = (segmentId: string, ids: number[]): SegmentEvent => {
    const refreshId = uniqueName('r');
    return { type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: { PrimaryEmail: email(i) } })) };
  };
  const holds = (audienceId: string, ids: number[]) =>
    eventually(async () => JSON.stringify((await stack.facebookMembers(audienceId)).sort()) === JSON.stringify(rows(ids)), 60000, `Facebook audience ${audienceId} to hold ${ids.length} rows`);

  async function facebookExport(segment: string) {
    const connectionId = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const connection = (await stack.api('GET', `/connections/${connectionId}`)).body;
    const created = await stack.api('POST', '/exports', { displayName: 'fb', connectionId, segments: [{ id: segment, name: segment }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    expect(created.status).toBe(201);
    await stack.untilActive(created.body.id, created.body.version);
    return { exportId: created.body.id as string, audienceId: connection.facebook.audienceId as string };
  }

  beforeAll(() => stack.start(), 180000);
  afterAll(() => stack.stop());

  it('leaves the paused audience as it was while the other export flows, and makes it exact on resume', async () => {
    const segment = uniqueName('pause');
    const paused = await facebookExport(segment);
    const flowing = await facebookExport(segment);
    await stack.publish([refresh(segment, [0, 1, 2, 3, 4])]);
    await holds(paused.audienceId, [0, 1, 2, 3, 4]);
    await holds(flowing.audienceId, [0, 1, 2, 3, 4]);

    const pause = await stack.api('PATCH', `/exports/${paused.exportId}`, { paused: true });
    expect(pause.status).toBe(200);
    await stack.untilActive(paused.exportId, pause.body.version);
    await stack.publish([member(segment, 5, 'entered'), member(segment, 0, 'exited')]);
    await holds(flowing.audienceId, [1, 2, 3, 4, 5]);
    // The same events went past the paused export: had its changes been sent, a moment more would have brought them.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await stack.facebookMembers(paused.audienceId)).sort()).toEqual(rows([0, 1, 2, 3, 4]));
    expect((await stack.api('POST', `/exports/${paused.exportId}/runs`)).status).toBe(409);

    const resume = await stack.api('PATCH', `/exports/${paused.exportId}`, { paused: false });
    expect(resume.body.startedRun).toEqual(expect.any(String));
    await eventually(async () => (await stack.runs(paused.exportId)).find((r) => r.id === resume.body.startedRun)?.state === 'succeeded', 60000, 'the resume full sync to succeed');
    await holds(paused.audienceId, [1, 2, 3, 4, 5]);
  });
});
