import { AuthenticationLost } from '@audience-sync/delivery';
import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { memberKey } from '../../../../../tools/emulators/members';
import { CONNECTION_ID, deltaBatch, facebookExport, fullSyncBatch, rows, SinkOptions, SinkProcess, StandInRegistry } from '../../../../../test/support/facebook-sink-harness';

/**
 * How the sink treats each Graph error, seen through its entry point (SinkRunner → FacebookDelivery
 * → GraphClient) against the emulator answering, on demand, with the error in Graph's shape.
 * Waits are recorded, not taken.
 */
describe('Facebook sink: Graph errors', () => {
  let emulators: Emulators;
  let token: string;
  let registry: StandInRegistry;
  let audienceId: string;

  /** The next calls answer these errors (POST /_emulator/faults, as any client of the emulator would). */
  async function script(errorsNext: Record<string, unknown>[]): Promise<void> {
    const response = await fetch(`${emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorsNext }) });
    expect(response.status).toBe(200);
  }

  /** A sink that has already checked the audience, so scripted errors reach the upload itself. */
  async function sink(options: SinkOptions = {}): Promise<SinkProcess> {
    const process = new SinkProcess(emulators, registry, audienceId, options);
    await process.handle([deltaBatch(audienceId, [])]);
    return process;
  }

  /** What the emulator answered since `from`: the Graph error code, or the HTTP status. */
  const answersSince = (from: number) => emulators.facebook.requests.slice(from).map((r) => r.errorCode ?? r.status);
  const members = () => emulators.facebook.state.audiences.get(audienceId)!.members.page(0, 1000).sort();
  const keys = (data: string[][]) => data.map(memberKey).sort();

  beforeAll(async () => {
    emulators = await startEmulators();
    token = emulators.facebook.state.issueToken(true, 3600);
  });
  afterAll(() => emulators.close());
  beforeEach(() => {
    emulators.facebook.faults.reset();
    registry = new StandInRegistry(token);
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'export list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
  });

  describe('1 and 2 are transient', () => {
    // Graph sends them as HTTP 500; the code alone must be enough, whatever the status.
    it.each([
      { code: 1, status: 500 },
      { code: 2, status: 500 },
      { code: 1, status: 400 },
      { code: 2, status: 400 },
    ])('code $code (HTTP $status): the request is tried again after a backoff and the batch goes through', async ({ code, status }) => {
      const process = await sink({ env: { SINK_MAX_ATTEMPTS: '3' } });
      const from = emulators.facebook.requests.length;
      await script([{ code, status, times: 2 }]);
      await process.handle([deltaBatch(audienceId, rows(0, 2))]);
      expect(answersSince(from)).toEqual([code, code, 200]);
      expect(process.waits).toHaveLength(2);
      expect(members()).toEqual(keys(rows(0, 2)));
    });

    it('after SINK_MAX_ATTEMPTS the batch is left to be fetched again, without failing the run; the next try delivers it', async () => {
      const process = await sink({ env: { SINK_MAX_ATTEMPTS: '3' } });
      await script([{ code: 2, times: 3 }]);
      const batch = fullSyncBatch(audienceId, 'run-transient', 1, 1, rows(0, 3));
      await expect(process.handle([batch])).rejects.toThrow(/kept failing \(error 2\) after 3 attempts/);
      expect(process.statuses.filter((s) => s.state === 'failed')).toEqual([]);
      await process.handle([batch]); // the consumer fetches it again
      expect(process.lastStatus('run-transient')).toMatchObject({ state: 'succeeded', counts: { sent: 3 } });
      expect(members()).toEqual(keys(rows(0, 3)));
    });
  });

  describe('4, 17, 32, 613 and 80003 are rate limits', () => {
    it.each([
      [4, undefined],
      [17, undefined],
      [32, undefined],
      [613, undefined],
      [80003, 2446079],
    ])('code %i: the sink waits and tries again, past SINK_MAX_ATTEMPTS, and the run succeeds', async (code, subcode) => {
      const process = await sink({ env: { SINK_MAX_ATTEMPTS: '2' } });
      const from = emulators.facebook.requests.length;
      await script([{ code, subcode, times: 4 }]);
      await process.handle([fullSyncBatch(audienceId, `run-${code}`, 1, 1, rows(0, 3))]);
      expect(answersSince(from)).toEqual([code, code, code, code, 200]);
      expect(process.waits).toHaveLength(4);
      expect(process.lastStatus(`run-${code}`)).toMatchObject({ state: 'succeeded', counts: { sent: 3, failed: 0 } });
      expect(members()).toEqual(keys(rows(0, 3)));
    });

    it('waits as long as x-business-use-case-usage says (estimated_time_to_regain_access, in minutes)', async () => {
      const process = await sink();
      await script([{ code: 80003, subcode: 2446079, regainAccessMinutes: 3 }, { code: 613, regainAccessMinutes: 2 }]);
      await process.handle([deltaBatch(audienceId, rows(0, 1))]);
      expect(process.waits).toEqual([3 * 60_000, 2 * 60_000]);
    });

    it('caps that wait at FACEBOOK_RATE_LIMIT_MAX_WAIT_MS: 15 minutes by default, or as configured', async () => {
      const byDefault = await sink();
      await script([{ code: 80003, subcode: 2446079, regainAccessMinutes: 60 }]);
      await byDefault.handle([deltaBatch(audienceId, rows(0, 1))]);
      expect(byDefault.waits).toEqual([15 * 60_000]);

      const configured = await sink({ env: { FACEBOOK_RATE_LIMIT_MAX_WAIT_MS: '120000' } });
      await script([{ code: 4, regainAccessMinutes: 60 }]);
      await configured.handle([deltaBatch(audienceId, rows(1, 2))]);
      expect(configured.waits).toEqual([120_000]);
    });
  });

  describe('replace-session errors: 2650, classified by the subcode public clients use (1870147) or by their wording', () => {
    it('another replace in progress (any subcode): the sink waits and asks again, and the run succeeds', async () => {
      const process = await sink();
      const from = emulators.facebook.requests.length;
      await script([{ code: 2650, message: '(#2650) Failed to update the custom audience: another replace operation is in progress on this audience' }]);
      await process.handle([fullSyncBatch(audienceId, 'run-busy', 1, 1, rows(0, 2))]);
      expect(answersSince(from)).toEqual([2650, 200]);
      expect(process.waits).toEqual([5000]);
      expect(process.lastStatus('run-busy')).toMatchObject({ state: 'succeeded', counts: { sent: 2 } });
    });

    it.each([
      ['1870147, first batch_seq not detected', { code: 2650, subcode: 1870147, message: '(#2650) Invalid Upload Batch for Replace' }],
      ['a session that timed out (wording alone)', { code: 2650, message: '(#2650) Failed to update the custom audience: the upload session has expired' }],
    ])('%s, at batch 1: a new session replaces the audience', async (_what, error) => {
      const process = await sink();
      const from = emulators.facebook.requests.length;
      await script([error]);
      await process.handle([fullSyncBatch(audienceId, 'run-closed', 1, 1, rows(0, 2))]);
      expect(answersSince(from)).toEqual([2650, 200]);
      expect(process.lastStatus('run-closed')).toMatchObject({ state: 'succeeded', counts: { sent: 2 } });
      expect(members()).toEqual(keys(rows(0, 2)));
    });
  });

  describe('errors no retry fixes fail the run, sent once', () => {
    it.each([
      { code: 100, subcode: undefined, message: /Facebook answered error 100: \(#100\)/ },
      { code: 10, subcode: undefined, message: /Facebook answered error 10: / },
      { code: 2650, subcode: undefined, message: /Facebook answered error 2650: / },
      { code: 200, subcode: 1870090, message: /accept them in Facebook Ads Manager/ },
    ])('code $code (subcode $subcode)', async ({ code, subcode, message }) => {
      const process = await sink();
      const from = emulators.facebook.requests.length;
      await script([{ code, subcode, message: code === 200 ? undefined : `(#${code}) rejected user1@example.com` }]);
      await process.handle([fullSyncBatch(audienceId, `run-${code}`, 1, 1, rows(0, 2))]);
      expect(answersSince(from)).toEqual([code]);
      expect(process.waits).toEqual([]);
      const status = process.lastStatus(`run-${code}`);
      expect(status).toMatchObject({ state: 'failed', counts: { failed: 2 } });
      expect(status?.error).toMatch(message);
      expect(status?.error).not.toContain('@example.com');
      expect(members()).toEqual([]);
    });
  });

  it('200/1870090, terms not accepted: fails the run with what to accept where, and tells the registry the connection’s terms problem', async () => {
    const process = await sink();
    await script([{ code: 200, subcode: 1870090 }]);
    await process.handle([fullSyncBatch(audienceId, 'run-terms', 1, 1, rows(0, 2))]);
    expect(process.lastStatus('run-terms')).toMatchObject({ state: 'failed', counts: { failed: 2 }, error: expect.stringMatching(/accept them in Facebook Ads Manager/) });
    expect(registry.termsProblems).toEqual([{ connectionId: CONNECTION_ID, problem: process.lastStatus('run-terms')!.error }]);
    expect(registry.authFailures).toEqual([]);
  });

  describe('authentication', () => {
    it.each([
      ['an expired token (190/463, the emulator itself)', () => emulators.facebook.state.tokens.get(token)!.expiresAt = Date.now() - 1],
      ['a token invalidated at Facebook (190/460, scripted)', () => script([{ code: 190, subcode: 460 }])],
    ])('%s flags the connection with the registry; the token is not tried again', async (_what, reject) => {
      const process = await sink();
      const from = emulators.facebook.requests.length;
      await reject();
      try {
        const failure = await process.delivery.deliver(deltaBatch(audienceId, rows(0, 1)), facebookExport(audienceId), process.ctx).catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(AuthenticationLost);
        expect(registry.authFailures).toEqual([CONNECTION_ID]);
        expect(answersSince(from)).toEqual([190]);
      } finally {
        emulators.facebook.state.tokens.get(token)!.expiresAt = Date.now() + 3600_000;
      }
    });

    it('a connection the registry says needs re-authentication sends nothing', async () => {
      const process = await sink();
      const from = emulators.facebook.requests.length;
      registry.token = undefined;
      const failure = await process.delivery.deliver(deltaBatch(audienceId, rows(0, 1)), facebookExport(audienceId), process.ctx).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(AuthenticationLost);
      expect(answersSince(from)).toEqual([]);
    });
  });
});
