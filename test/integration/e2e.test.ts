import { createHash } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { RunStatus, SegmentEvent, Topics } from '@audience-sync/contracts';
import { facebookRows } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { Stack } from '../support/stack';
import { eventually, testBrokers, uniqueName } from '../support/env';
import { drained, PIPELINE } from '../support/drained';

type Attrs = Record<string, string>;
const attrs = (i: number, over: Attrs = {}): Attrs => ({ PrimaryEmail: `e2e${i}@example.com`, MobilePhone: `+1 650 555 ${String(i).padStart(4, '0')}`, FirstName: 'Zoë', ...over });
const fbRow = (a: Attrs) => memberKey(facebookRows(['EMAIL', 'PHONE'], [{ op: 'add', identifiers: { EMAIL: a.PrimaryEmail, PHONE: a.MobilePhone } }]).adds[0]);
const msRow = (a: Attrs) => createHash('sha256').update(a.PrimaryEmail.trim().toLowerCase()).digest('hex').slice(0, 16);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('end to end: segment events in, correct audiences at both destinations out', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-01T00:00:00Z');
  const runStatus = new Map<string, RunStatus>();
  let statusReader: ReturnType<Kafka['consumer']>;

  const at = () => new Date((clock += 1000)).toISOString();
  const member = (segmentId: string, i: number, status: 'entered' | 'exited', a: Attrs | null = attrs(i)): SegmentEvent => ({
    type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status, attributes: status === 'entered' ? a : null,
  });
  const refresh = (segmentId: string, ids: number[], parts = 1): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    const occurredAt = at();
    const size = Math.ceil(ids.length / parts) || 1;
    return Array.from({ length: parts }, (_, n) => ({
      type: 'refresh' as const, eventId: `${refreshId}-${n}`, occurredAt, segmentId, segmentName: segmentId, refreshId, part: n + 1, final: n === parts - 1,
      members: ids.slice(n * size, (n + 1) * size).map((i) => ({ profileId: `p${i}`, attributes: attrs(i) })),
    }));
  };

  async function facebookExport(segments: string[], audience: { adAccountId: string; audienceId?: string } = { adAccountId: 'act_1001' }) {
    const connectionId = await stack.connect('facebook-ads', audience.audienceId ? { adAccountId: audience.adAccountId, audienceId: audience.audienceId } : ({ adAccountId: audience.adAccountId, create: { name: uniqueName('list') } } as never));
    const connection = (await stack.api('GET', `/connections/${connectionId}`)).body;
    const created = await stack.api('POST', '/exports', { displayName: 'fb', connectionId, segments: segments.map((id) => ({ id, name: id })), facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone' } } });
    expect(created.status).toBe(201);
    await stack.untilActive(created.body.id, created.body.version);
    return { exportId: created.body.id as string, audienceId: connection.facebook.audienceId as string, connectionId };
  }

  async function microsoftExport(segment: string, accountId = '2000001') {
    const connectionId = await stack.connect('microsoft-advertising');
    const created = await stack.api('POST', '/exports', { displayName: 'ms', connectionId, segments: [{ id: segment, name: segment }], microsoft: { customerId: '1000001', accountId, emailAttribute: 'PrimaryEmail' } });
    expect(created.status).toBe(201);
    await stack.untilActive(created.body.id, created.body.version);
    return { exportId: created.body.id as string, connectionId };
  }

  const fbAudience = async (audienceId: string, rows: string[]) => eventually(async () => JSON.stringify(sorted(await stack.facebookMembers(audienceId))) === JSON.stringify(sorted(rows)), 60000, `Facebook audience ${audienceId} to hold ${rows.length} rows`);
  const msAudience = async (name: string, rows: string[]) => eventually(async () => JSON.stringify(sorted((await stack.microsoftMembers(name)) ?? [])) === JSON.stringify(sorted(rows)), 60000, `Microsoft audience ${name} to hold ${rows.length} rows`);

  beforeAll(async () => {
    await stack.start();
    statusReader = new Kafka({ clientId: 'e2e-status', brokers: testBrokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('e2e-status') });
    await statusReader.connect();
    await statusReader.subscribe({ topics: [Topics.runStatusFromFacebook.name, Topics.runStatusFromMicrosoft.name], fromBeginning: true });
    await statusReader.run({ eachMessage: async ({ message }) => void runStatus.set(message.key!.toString(), JSON.parse(message.value!.toString())) });
  }, 180000);

  afterAll(async () => {
    await statusReader?.disconnect();
    await stack.stop();
  });

  it('Facebook: first sync, live enters and exits, a union of two segments, an identifier change, an on-demand replace', async () => {
    const a = uniqueName('fbA');
    const b = uniqueName('fbB');
    const { exportId, audienceId } = await facebookExport([a, b]);
    await stack.publish(refresh(a, range(0, 40), 3));
    await fbAudience(audienceId, range(0, 40).map((i) => fbRow(attrs(i))));

    await stack.publish([member(b, 60, 'entered'), member(a, 0, 'exited'), member(b, 1, 'entered'), member(a, 1, 'exited')]);
    await stack.publish([{ type: 'profile', eventId: uniqueName('p'), occurredAt: at(), profileId: 'p2', attributes: { PrimaryEmail: 'changed@example.com' } }]);
    const expected = [fbRow(attrs(1)), fbRow(attrs(2, { PrimaryEmail: 'changed@example.com' })), ...range(3, 40).map((i) => fbRow(attrs(i))), fbRow(attrs(60))];
    await fbAudience(audienceId, expected);
    await stack.publish([member(b, 1, 'exited')]);
    await fbAudience(audienceId, expected.slice(1));

    const run = await stack.api('POST', `/exports/${exportId}/runs`);
    expect(run.status).toBe(202);
    await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === run.body.id)?.state === 'succeeded', 60000, 'the on-demand run to succeed');
    const history = await stack.runs(exportId);
    expect(history.find((r) => r.id === run.body.id).counts).toMatchObject({ sent: 39, failed: 0 });
    expect(history.some((r) => r.trigger === 'refresh' && r.state === 'succeeded')).toBe(true);
    await fbAudience(audienceId, expected.slice(1));
    expect(stack.emulators.facebook.requests.some((r) => r.path.endsWith(`/${audienceId}/usersreplace`) && r.status === 200)).toBe(true);
  });

  it('Microsoft: an audience per segment, deltas, an identifier change, an expired token refreshed, an on-demand replace', async () => {
    const seg = uniqueName('Loyal');
    const { exportId } = await microsoftExport(seg);
    await stack.publish(refresh(seg, range(0, 30), 2));
    await msAudience(seg, range(0, 30).map((i) => msRow(attrs(i))));
    await fetch(`${stack.emulators.microsoft.url}/_emulator/tokens/expire`, { method: 'POST' });
    await stack.publish([member(seg, 40, 'entered'), member(seg, 0, 'exited'), member(seg, 3, 'entered', attrs(3, { PrimaryEmail: 'moved@example.com' }))]);
    const expected = [...range(1, 30).filter((i) => i !== 3).map((i) => msRow(attrs(i))), msRow(attrs(3, { PrimaryEmail: 'moved@example.com' })), msRow(attrs(40))];
    await msAudience(seg, expected);
    expect(stack.emulators.microsoft.requests.some((r) => r.errorCode === 109)).toBe(true);
    expect((await stack.api('GET', `/connections/${(await stack.api('GET', `/exports/${exportId}`)).body.connectionId}`)).body.status).toBe('ready');
    const run = await stack.api('POST', `/exports/${exportId}/runs`);
    await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === run.body.id)?.state === 'succeeded', 60000, 'the on-demand run to succeed');
    await msAudience(seg, expected);
    expect(stack.emulators.microsoft.audiences.size).toBeGreaterThan(0);
    expect([...stack.emulators.microsoft.audiences.values()].filter((x) => x.name === seg)).toHaveLength(1);
  });

  it('fails runs clearly: a non-customer-list Facebook audience, and terms not accepted on either platform', async () => {
    const { connectionId } = await facebookExport([uniqueName('unused')]);
    const lookalikeExport = uniqueName('lookalike-export');
    const seg = uniqueName('lk');
    await stack.producer.send({
      topic: Topics.exportConfigs.name,
      messages: [{ key: lookalikeExport, value: JSON.stringify({ exportId: lookalikeExport, version: 1, displayName: 'old', connectionId, connectionState: 'active', segments: [{ id: seg, name: seg }], maxProfiles: 10_000_000, updatedAt: new Date().toISOString(), destination: { type: 'facebook-ads', adAccountId: '1001', audienceId: '23850000000000003', keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } }) }],
    });
    // Not saved in the registry: the stages' own reports say when they have it.
    await stack.applied.until(['segment-streamer', 'sink-facebook'], lookalikeExport, 1);
    await stack.publish(refresh(seg, range(0, 5)));
    const lookalike = await eventually(() => [...runStatus.values()].find((s) => s.exportId === lookalikeExport && s.state === 'failed'), 60000, 'the LOOKALIKE run to fail');
    expect(lookalike.error).toBe('the Facebook audience 23850000000000003 ("Lookalike (US, 1%)") is a LOOKALIKE audience; exports need a customer-list audience: choose one on the connection');

    const fbSeg = uniqueName('terms');
    const fb = await facebookExport([fbSeg], { adAccountId: 'act_1002', audienceId: '23850000000000004' });
    await stack.publish(refresh(fbSeg, range(0, 5)));
    await eventually(async () => (await stack.runs(fb.exportId)).find((r) => r.state === 'failed'), 60000, 'the Facebook run to fail');
    expect((await stack.runs(fb.exportId))[0].error).toMatch(/custom audience terms are not accepted.*accept them in Facebook Ads Manager/);

    const msSeg = uniqueName('terms-ms');
    const ms = await microsoftExport(msSeg, '2000002');
    await stack.publish(refresh(msSeg, range(0, 5)));
    await eventually(async () => (await stack.runs(ms.exportId)).find((r) => r.state === 'failed'), 60000, 'the Microsoft run to fail');
    expect((await stack.runs(ms.exportId))[0].error).toMatch(/accept the Customer Match terms in Microsoft Advertising/);
  });

  it('an expired Facebook token flags the connection, pauses delivery without losing changes, and resumes after re-authentication', async () => {
    const seg = uniqueName('pause');
    const { audienceId, connectionId } = await facebookExport([seg]);
    await stack.publish(refresh(seg, range(0, 10)));
    await fbAudience(audienceId, range(0, 10).map((i) => fbRow(attrs(i))));
    await fetch(`${stack.emulators.facebook.url}/_emulator/tokens/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await stack.publish([member(seg, 20, 'entered'), member(seg, 0, 'exited')]);
    await eventually(async () => (await stack.api('GET', `/connections/${connectionId}`)).body.status === 'needs-reauthentication', 30000, 'the connection to be flagged');
    // The changes have reached the sink (the streamer and the hasher handled them), which holds them.
    await drained(PIPELINE.slice(0, 2));
    expect(sorted(await stack.facebookMembers(audienceId))).toEqual(sorted(range(0, 10).map((i) => fbRow(attrs(i)))));
    await stack.authorize(connectionId);
    await fbAudience(audienceId, [...range(1, 10), 20].map((i) => fbRow(attrs(i))));
  });

  it('a burst of rate-limit and server-error answers ends with the exact audiences', async () => {
    const seg = uniqueName('burst');
    const fb = await facebookExport([seg]);
    await microsoftExport(seg);
    const fault = (url: string, body: unknown) => fetch(`${url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await fault(stack.emulators.facebook.url, { serverErrorsNext: 4, rateLimitNext: 3 });
    await fault(stack.emulators.microsoft.url, { serverErrorsNext: 4, rateLimitNext: 3 });
    await stack.publish(refresh(seg, range(0, 25)));
    await stack.publish([member(seg, 30, 'entered'), member(seg, 0, 'exited')]);
    const ids = [...range(1, 25), 30];
    await fbAudience(fb.audienceId, ids.map((i) => fbRow(attrs(i))));
    await msAudience(seg, ids.map((i) => msRow(attrs(i))));
    expect(stack.emulators.facebook.requests.filter((r) => r.errorCode === 80003).length).toBeGreaterThanOrEqual(3);
    expect(stack.emulators.microsoft.requests.filter((r) => r.errorCode === 117).length).toBeGreaterThanOrEqual(3);
  });

  it('sinks killed with SIGKILL in the middle of a sync end with the exact audiences after a restart', async () => {
    const seg = uniqueName('crash');
    const fb = await facebookExport([seg]);
    await microsoftExport(seg);
    const ids = range(0, 12000);
    await fetch(`${stack.emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 3000 }) });
    await fetch(`${stack.emulators.microsoft.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 150 }) });
    await stack.publish(refresh(seg, ids, 4));
    await eventually(async () => ((await stack.microsoftMembers(seg))?.length ?? 0) > 0, 60000, 'the Microsoft sync to start');
    await stack.restart('sink-microsoft-ads');
    await eventually(async () => (await stack.facebookMembers(fb.audienceId)).length > 0, 60000, 'the Facebook sync to start');
    const partial = (await stack.facebookMembers(fb.audienceId)).length;
    await stack.restart('sink-facebook');
    for (const url of [stack.emulators.facebook.url, stack.emulators.microsoft.url]) await fetch(`${url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0 }) });
    await fbAudience(fb.audienceId, ids.map((i) => fbRow(attrs(i))));
    await msAudience(seg, ids.map((i) => msRow(attrs(i))));
    expect(partial).toBeLessThan(ids.length);
  });

  it('several exports on one Facebook connection: each feeds its own audience, a shared one holds the union, a run never takes another export\'s members', async () => {
    const [a, b, c] = [uniqueName('own-a'), uniqueName('own-b'), uniqueName('shared-c')];
    const A = await facebookExport([a]);
    const newList = { adAccountId: 'act_1001', create: { name: uniqueName('list-b') } };
    const refused = await stack.api('PUT', `/connections/${A.connectionId}/facebook/audience`, newList);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/moveExports/);
    const chosen = await stack.api('PUT', `/connections/${A.connectionId}/facebook/audience`, { ...newList, moveExports: 'none' });
    expect(chosen.status).toBe(200);
    expect(chosen.body.exportsStaying).toEqual([A.exportId]);
    const audienceB = chosen.body.facebook.audienceId as string;
    const mappings = { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone' } };
    const B = await stack.api('POST', '/exports', { displayName: 'fb-b', connectionId: A.connectionId, segments: [{ id: b, name: b }], facebook: mappings });
    expect(B.status).toBe(201);
    expect(B.body.audiences[0].audienceId).toBe(audienceB);
    expect((await stack.api('GET', `/exports/${A.exportId}`)).body.audiences[0].audienceId).toBe(A.audienceId);
    await stack.untilActive(B.body.id, B.body.version);

    await stack.publish([...refresh(a, range(0, 300)), ...refresh(b, range(300, 600))]);
    const rows = (ids: number[]) => ids.map((i) => fbRow(attrs(i)));
    await fbAudience(A.audienceId, rows(range(0, 300)));
    await fbAudience(audienceB, rows(range(300, 600)));
    const runA = await stack.api('POST', `/exports/${A.exportId}/runs`);
    await eventually(async () => (await stack.runs(A.exportId)).find((r) => r.id === runA.body.id)?.state === 'succeeded', 60000, 'the run of export A to succeed');
    expect(sorted(await stack.facebookMembers(A.audienceId))).toEqual(sorted(rows(range(0, 300))));
    expect(sorted(await stack.facebookMembers(audienceB))).toEqual(sorted(rows(range(300, 600))));

    // Export C picks audience B itself: B holds the union, and no run or exit of one takes the other's members.
    const C = await stack.api('POST', '/exports', { displayName: 'fb-c', connectionId: A.connectionId, segments: [{ id: c, name: c }], facebook: { ...mappings, audience: { adAccountId: 'act_1001', audienceId: audienceB } } });
    expect(C.status).toBe(201);
    expect(C.body.audiences[0]).toMatchObject({ audienceId: audienceB, alsoFedBy: [B.body.id] });
    await stack.untilActive(C.body.id, C.body.version);
    await stack.publish(refresh(c, range(500, 700)));
    await fbAudience(audienceB, rows(range(300, 700)));
    for (const exportId of [B.body.id, C.body.id]) {
      const run = await stack.api('POST', `/exports/${exportId}/runs`);
      await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === run.body.id)?.state === 'succeeded', 60000, `the run of export ${exportId} to succeed`);
      expect(sorted(await stack.facebookMembers(audienceB))).toEqual(sorted(rows(range(300, 700))));
    }
    await stack.publish([member(b, 550, 'exited'), member(b, 301, 'exited'), member(c, 650, 'exited')]);
    await fbAudience(audienceB, rows(range(300, 700).filter((i) => i !== 301 && i !== 650)));

    // Moving export A to a new connection audience brings that audience in line; the old one is left as it was.
    const moved = await stack.api('PUT', `/connections/${A.connectionId}/facebook/audience`, { adAccountId: 'act_1001', create: { name: uniqueName('list-d') }, moveExports: [A.exportId] });
    expect(moved.status).toBe(200);
    expect(moved.body.exportsMoved.map((m: { exportId: string }) => m.exportId)).toEqual([A.exportId]);
    // C chose audience B itself, but B is the connection's audience too: it was asked about and stays.
    expect(sorted(moved.body.exportsStaying)).toEqual(sorted([B.body.id, C.body.id]));
    const audienceD = moved.body.facebook.audienceId as string;
    await fbAudience(audienceD, rows(range(0, 300)));
    await eventually(async () => (await stack.runs(A.exportId)).find((r) => r.id === moved.body.exportsMoved[0].runId)?.state === 'succeeded', 60000, 'the move\'s run to succeed');
    expect((await stack.api('GET', `/exports/${A.exportId}`)).body.audiences[0].audienceId).toBe(audienceD);
    expect(sorted(await stack.facebookMembers(A.audienceId))).toEqual(sorted(rows(range(0, 300))));
  });

  it('a run counts the members the streamer dropped for want of a usable identifier, with reasons', async () => {
    const seg = uniqueName('drops');
    const { exportId, audienceId } = await facebookExport([seg]);
    const refreshId = uniqueName('r');
    const members = [
      ...range(0, 5).map((i) => ({ profileId: `p${i}`, attributes: attrs(i) })),
      { profileId: 'no-email-1', attributes: { FirstName: 'Ola' } },
      { profileId: 'no-email-2', attributes: null },
      { profileId: 'bad-email', attributes: { PrimaryEmail: 'not-an-email' } },
    ];
    await stack.publish([{ type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId: seg, segmentName: seg, refreshId, part: 1, final: true, members }]);
    await fbAudience(audienceId, range(0, 5).map((i) => fbRow(attrs(i))));
    const run = await eventually(async () => (await stack.runs(exportId)).find((r) => r.state === 'succeeded'), 60000, 'the refresh run to succeed');
    expect(run.counts).toMatchObject({ sent: 5, invalid: 3, invalidByReason: { 'no-mapped-identifier': 2, 'unusable-identifier': 1 } });
  });

  it('an erasure asked through the API removes the profile from the audience, keeps it out, and is reported as a run', async () => {
    const seg = uniqueName('erase');
    const { exportId, audienceId } = await facebookExport([seg]);
    // Profile ids of its own: the other tests' profiles share this streamer.
    const id = (i: number) => `${seg}-p${i}`;
    const refreshId = uniqueName('r');
    await stack.publish([{ type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId: seg, segmentName: seg, refreshId, part: 1, final: true, members: range(0, 3).map((i) => ({ profileId: id(i), attributes: attrs(100 + i) })) }]);
    await fbAudience(audienceId, range(0, 3).map((i) => fbRow(attrs(100 + i))));
    const older = at();
    const erased = await stack.api('POST', `/profiles/${encodeURIComponent(id(1))}/erase`);
    expect(erased.status).toBe(202);
    await fbAudience(audienceId, [0, 2].map((i) => fbRow(attrs(100 + i))));
    const run = await eventually(async () => (await stack.runs(exportId)).find((r) => r.trigger === 'erase' && r.state === 'succeeded'), 60000, 'the erase run to succeed');
    expect(run.id).toBe(`${erased.body.runIdPrefix}${exportId}`);
    expect(run.counts).toMatchObject({ sent: 0, removed: 1 });
    // An event older than the erasure does not bring the profile back.
    await stack.publish([{ type: 'membership', eventId: uniqueName('m'), occurredAt: older, segmentId: seg, segmentName: seg, profileId: id(1), status: 'entered', attributes: attrs(101) }]);
    await drained(PIPELINE.slice(0, 3));
    expect(sorted(await stack.facebookMembers(audienceId))).toEqual(sorted([0, 2].map((i) => fbRow(attrs(100 + i)))));
  });

  it('deleting an export stops its deliveries', async () => {
    const seg = uniqueName('gone');
    const { exportId, audienceId } = await facebookExport([seg]);
    await stack.publish(refresh(seg, range(0, 5)));
    await fbAudience(audienceId, range(0, 5).map((i) => fbRow(attrs(i))));
    expect((await stack.api('DELETE', `/exports/${exportId}`)).status).toBe(204);
    await stack.applied.until(['segment-streamer', 'sink-facebook'], exportId, null);
    const before = stack.emulators.facebook.requests.filter((r) => r.path.includes(audienceId)).length;
    await stack.publish([member(seg, 9, 'entered'), member(seg, 1, 'exited')]);
    // Every stage has handled what the events caused: anything sent for them would have been sent by now.
    await drained(PIPELINE.slice(0, 3));
    expect(stack.emulators.facebook.requests.filter((r) => r.path.includes(audienceId)).length).toBe(before);
    expect(sorted(await stack.facebookMembers(audienceId))).toEqual(sorted(range(0, 5).map((i) => fbRow(attrs(i)))));
  });
});
