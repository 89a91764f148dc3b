import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { memberKey } from '../../../../../tools/emulators/members';
import { UploadSession } from '../../../../../tools/emulators/facebook/state';
import { deltaBatch, fullSyncBatch, rows, SinkProcess, StandInRegistry } from '../../../../../test/support/facebook-sink-harness';

/**
 * Full syncs that span several /usersreplace requests, and crashes between them, through the
 * sink's entry point against the emulator (which replaces the members only when the session's
 * last batch arrives, and refuses a second session while one is open).
 */
describe('Facebook sink: multi-batch replace sessions', () => {
  let emulators: Emulators;
  let registry: StandInRegistry;
  let audienceId: string;

  /** Run `runId` in `parts` batches: profiles 0..19, the complete membership. */
  const SYNCED = rows(0, 20);
  const run = (runId: string, parts = 4) => Array.from({ length: parts }, (_, i) => fullSyncBatch(audienceId, runId, i + 1, parts, SYNCED.filter((_, r) => r % parts === i)));

  const members = () => emulators.facebook.state.audiences.get(audienceId)!.members.page(0, 1000).sort();
  const keys = (data: string[][]) => data.map(memberKey).sort();
  const replaceSessions = (): UploadSession[] => [...emulators.facebook.state.sessions.values()].filter((s) => s.audienceId === audienceId && s.kind === 'replace');
  const sink = () => new SinkProcess(emulators, registry, audienceId);

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = new StandInRegistry(emulators.facebook.state.issueToken(true, 3600));
  });
  afterAll(() => emulators.close());
  beforeEach(async () => {
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'export list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
    // Members the sync must drop: profiles 100..104, and 0..4 which the sync keeps.
    await sink().handle([deltaBatch(audienceId, [...rows(100, 105), ...rows(0, 5)])]);
  });

  it('sends a sync of several batches as one session: batch_seq 1..n, last_batch_flag on the last only; the audience then holds exactly the sync', async () => {
    const process = sink();
    const [first, ...rest] = run('run-1');
    await process.handle([first]);
    expect(members()).toEqual(keys([...rows(100, 105), ...rows(0, 5)])); // nothing replaced before the last batch
    await process.handle(rest);
    const [session, ...others] = replaceSessions();
    expect(others).toEqual([]);
    expect(session.batches).toEqual([
      { seq: 1, last: false },
      { seq: 2, last: false },
      { seq: 3, last: false },
      { seq: 4, last: true },
    ]);
    expect(session).toMatchObject({ finished: true, received: SYNCED.length });
    expect(members()).toEqual(keys(SYNCED));
    expect(process.lastStatus('run-1')).toMatchObject({ state: 'succeeded', counts: { sent: SYNCED.length, failed: 0 } });
  });

  it.each([
    ['before any batch was committed: every batch again', 0],
    ['after the first two were committed: the rest again', 2],
  ])('a crash between two requests of a session, then redelivery %s: the audience ends exactly right', async (_when, committed) => {
    const batches = run('run-crash');
    await sink().handle(batches.slice(0, 3)); // requests 1..3 reached Facebook; then the process died
    const restarted = sink();
    await restarted.handle(batches.slice(committed));
    expect(members()).toEqual(keys(SYNCED));
    expect(replaceSessions().every((s) => s.finished)).toBe(true);
    expect(restarted.lastStatus('run-crash')).toMatchObject({ state: 'succeeded' });
  }, 15000);

  it('a crash after the last request, before its commit, then every batch again: a new session replaces the audience with the same rows', async () => {
    const batches = run('run-done');
    await sink().handle(batches);
    emulators.facebook.state.audiences.get(audienceId)!.members.add(memberKey(rows(200, 201)[0])); // changed since by someone else
    const restarted = sink();
    await restarted.handle(batches);
    expect(members()).toEqual(keys(SYNCED));
    expect(replaceSessions().map((s) => s.batches?.map((b) => b.seq))).toEqual([[1, 2, 3, 4], [1, 2, 3, 4]]);
    expect(restarted.lastStatus('run-done')).toMatchObject({ state: 'succeeded', counts: { sent: SYNCED.length } });
  }, 15000);

  it('a full-sync batch without rows is refused before any call: Graph takes no empty replace, so the streamer removes instead (stream parts: emptyReplace false)', async () => {
    const process = sink();
    await process.handle([fullSyncBatch(audienceId, 'run-empty', 1, 1, [])]);
    expect(replaceSessions()).toEqual([]);
    expect(process.lastStatus('run-empty')).toMatchObject({ state: 'failed', error: expect.stringContaining('no rows') });
  });

  it('counts a session as Meta does: each answer says the whole session so far, so a batch is what it added', async () => {
    const invalid = (n: number) => Array.from({ length: n }, (_, i) => [`not-a-digest-${i}`]);
    const process = sink();
    await process.handle([
      fullSyncBatch(audienceId, 'run-counts', 1, 3, [...rows(0, 3), ...invalid(1)]),
      fullSyncBatch(audienceId, 'run-counts', 2, 3, [...rows(3, 5), ...invalid(2)]),
      fullSyncBatch(audienceId, 'run-counts', 3, 3, [...rows(5, 8), ...invalid(1)]),
    ]);
    expect(replaceSessions()[0]).toMatchObject({ received: 12, invalid: 4 });
    expect(process.lastStatus('run-counts')).toMatchObject({ state: 'succeeded', counts: { sent: 8, invalid: 4, failed: 0 } });
  });

  it('sends session_id as the int64 Meta specifies: a JSON number, exact in JavaScript', async () => {
    await sink().handle([fullSyncBatch(audienceId, 'run-id', 1, 1, rows(0, 1))]);
    const [session] = replaceSessions();
    expect(session.idSentAs).toBe('number');
    expect(Number.isSafeInteger(Number(session.id))).toBe(true);
  });

  describe('rows per /users request', () => {
    it('splits a batch at the size it is given', async () => {
      const process = new SinkProcess(emulators, registry, audienceId, { rowsPerRequest: 3 });
      const from = emulators.facebook.requests.length;
      await process.handle([deltaBatch(audienceId, rows(20, 27), rows(100, 105))]);
      const calls = emulators.facebook.requests.slice(from).filter((r) => r.path.endsWith('/users'));
      expect(calls.map((r) => `${r.method} ${r.status}`).sort()).toEqual(['DELETE 200', 'DELETE 200', 'POST 200', 'POST 200', 'POST 200']);
      expect(members()).toEqual(keys([...rows(0, 5), ...rows(20, 27)]));
    });

    it("is Graph's 10,000 by default: 10,001 rows go in two requests the emulator accepts", async () => {
      const process = sink();
      const from = emulators.facebook.requests.length;
      await process.handle([deltaBatch(audienceId, rows(1000, 11_001))]);
      const calls = emulators.facebook.requests.slice(from).filter((r) => r.path.endsWith('/users'));
      expect(calls.map((r) => r.status)).toEqual([200, 200]);
      expect(emulators.facebook.state.audiences.get(audienceId)!.members.size).toBe(10 + 10_001);
    });
  });
});
