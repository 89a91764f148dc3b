import { ExportConfig, RunContext, RunStatus } from '@audience-sync/contracts';
import { BatchContext, ReceivedMessage } from '@audience-sync/kafka';
import { ExportTable } from './export-table';
import { RunTracker } from './run-tracker';
import { AudienceUnavailable, AuthenticationLost, Destination, HashedBatch, PermanentFailure, SinkRunner, TermsNotAccepted } from './sink-runner';

const EXPORT = 'export-1';
const PROBLEM = 'the audience is gone: choose another one for the export';

function config(version: number, audienceId: string, extra: Partial<ExportConfig> = {}): ExportConfig {
  return {
    exportId: EXPORT,
    version,
    displayName: 'fb',
    connectionId: 'c-1',
    connectionState: 'active',
    segments: [{ id: 's', name: 's' }],
    maxProfiles: 10,
    updatedAt: '2026-11-01T00:00:00Z',
    destination: { type: 'facebook-ads', adAccountId: '1001', audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } },
    ...extra,
  };
}

function batch(exportVersion: number, audienceKey: string, rows: string[], run?: Partial<RunContext>): ReceivedMessage<HashedBatch> {
  const value: HashedBatch = {
    audience: { exportId: EXPORT, exportVersion, connectionId: 'c-1', destination: 'facebook-ads', audienceKey },
    ...(run ? { run: { runId: 'run-1', trigger: 'refresh', audiences: 1, last: false, ...run } } : {}),
    counts: { droppedValues: {}, rejectedRows: 0 },
    adds: rows,
    removes: [],
  };
  return { key: `${EXPORT}/${audienceKey}`, value, partition: 0, offset: '0', timestamp: '0', headers: {} };
}

/** A platform where some audiences are gone; it records where each row went. */
class FakePlatform implements Destination<HashedBatch> {
  readonly gone = new Set<string>();
  readonly received: { audienceId: string; rows: unknown[] }[] = [];

  names(b: HashedBatch, c: ExportConfig): boolean {
    return c.destination.type === 'facebook-ads' && c.destination.audienceId === b.audience.audienceKey;
  }

  async deliver(b: HashedBatch, c: ExportConfig) {
    if (c.destination.type !== 'facebook-ads') throw new PermanentFailure('not Facebook');
    const audienceId = c.destination.audienceId;
    if (this.gone.has(audienceId)) throw new AudienceUnavailable(`the Facebook audience ${audienceId} no longer exists; ${PROBLEM}`, PROBLEM);
    this.received.push({ audienceId, rows: b.adds });
    return { sent: b.adds.length, removed: 0, invalid: 0, failed: 0 };
  }
}

const settled = (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(probe: () => boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}

describe('SinkRunner', () => {
  let table: ExportTable;
  let platform: FakePlatform;
  let statuses: Omit<RunStatus, 'at'>[];
  let problems: { exportId: string; problem: string }[];
  let termsProblems: { connectionId: string; problem: string; refusedAt?: Date }[];
  let runner: SinkRunner<HashedBatch>;
  let abort: AbortController;
  let ctx: BatchContext;

  beforeEach(() => {
    table = new ExportTable();
    platform = new FakePlatform();
    statuses = [];
    problems = [];
    termsProblems = [];
    abort = new AbortController();
    ctx = { topic: 'changes', partition: 0, heartbeat: async () => undefined, signal: abort.signal };
    // Like the registry: it stores the problem and publishes the export's config with it.
    const registry = {
      reportExportProblem: async (exportId: string, problem: string) => {
        problems.push({ exportId, problem });
        table.apply(exportId, { ...table.get(exportId)!, problem });
      },
      reportTermsProblem: async (connectionId: string, problem: string) => void termsProblems.push({ connectionId, problem }),
    };
    runner = new SinkRunner(table, new RunTracker('sink-facebook', async (s) => void statuses.push(s)), platform, registry);
  });
  afterEach(() => abort.abort());

  it('an audience that is gone fails the run with what to do, tells the registry, and keeps the changes until the config names another audience', async () => {
    table.apply(EXPORT, config(1, 'X'));
    platform.gone.add('X');
    const handled = runner.handle([batch(1, 'X', ['a', 'b'], { last: false }), batch(1, 'X', ['c'], { last: true })], ctx);
    const done = settled(handled);

    await until(() => statuses.some((s) => s.state === 'failed'), 'the run to fail');
    expect(statuses.find((s) => s.state === 'failed')).toMatchObject({ runId: 'run-1', exportId: EXPORT, error: expect.stringContaining(PROBLEM) });
    expect(problems).toEqual([{ exportId: EXPORT, problem: PROBLEM }]);
    await pause(1500);
    expect(done()).toBe(false); // not committed: the batch waits
    expect(platform.received).toEqual([]);

    // The admin chose another audience: the registry publishes a newer config without the problem.
    table.apply(EXPORT, config(2, 'Y'));
    await handled;
    expect(platform.received).toEqual([
      { audienceId: 'Y', rows: ['a', 'b'] },
      { audienceId: 'Y', rows: ['c'] },
    ]);
    expect(problems).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ state: 'failed', counts: { sent: 3, failed: 0 }, error: expect.stringContaining(PROBLEM) });
  });

  it('waits while the config carries a problem, as for a connection that needs re-authentication', async () => {
    table.apply(EXPORT, config(1, 'X', { problem: PROBLEM }));
    const done = settled(runner.handle([batch(1, 'X', ['a'])], ctx));
    await pause(1200);
    expect(done()).toBe(false);
    table.apply(EXPORT, config(2, 'X'));
    await until(done, 'the batch to be delivered');
    expect(platform.received).toEqual([{ audienceId: 'X', rows: ['a'] }]);
  });

  it('a connection re-authenticated before the sink saw it flagged: delivery resumes at once, without waiting for the flag', async () => {
    table.apply(EXPORT, config(1, 'X'));
    let refused = false;
    const expiring: Destination<HashedBatch> = {
      names: () => true,
      deliver: async (b) => {
        if (refused) return { sent: b.adds.length, removed: 0, invalid: 0, failed: 0 };
        refused = true;
        // The registry flags the connection and the admin signs in again, both before the runner looks.
        table.apply(EXPORT, config(1, 'X', { connectionState: 'needs-reauthentication' }));
        table.apply(EXPORT, config(1, 'X'));
        throw new AuthenticationLost('the token expired');
      },
    };
    const quick = new SinkRunner(table, new RunTracker('sink-facebook', async (s) => void statuses.push(s)), expiring, { reportExportProblem: async () => undefined, reportTermsProblem: async () => undefined });
    const done = settled(quick.handle([batch(1, 'X', ['a'])], ctx));
    await until(done, 'the batch to be delivered', 3000);
  });

  it('a batch made under a newer config than the table holds waits for the table to catch up', async () => {
    table.apply(EXPORT, config(1, 'X'));
    const done = settled(runner.handle([batch(2, 'Y', ['a'])], ctx));
    await pause(1200);
    expect(done()).toBe(false);
    expect(platform.received).toEqual([]);
    table.apply(EXPORT, config(2, 'Y'));
    await until(done, 'the batch to be delivered');
    expect(platform.received).toEqual([{ audienceId: 'Y', rows: ['a'] }]);
  });

  it('a batch for an audience the current config no longer names is stale: nothing is sent and the run completes', async () => {
    table.apply(EXPORT, config(2, 'Z'));
    await runner.handle([batch(1, 'X', ['a', 'b'], { last: true })], ctx);
    expect(platform.received).toEqual([]);
    expect(statuses).toEqual([expect.objectContaining({ runId: 'run-1', state: 'succeeded', counts: { sent: 0, removed: 0, invalid: 0, failed: 0 } })]);
  });

  it('never trusts a batch that names another audience than the config of the same version', async () => {
    table.apply(EXPORT, config(1, 'X'));
    await runner.handle([batch(1, 'W', ['a'])], ctx);
    expect(platform.received).toEqual([]);
  });

  it('still skips the rest of a run that failed permanently', async () => {
    table.apply(EXPORT, config(1, 'X'));
    const failing: Destination<HashedBatch> = {
      names: () => true,
      deliver: async () => {
        throw new PermanentFailure('accept the terms');
      },
    };
    const tracker = new RunTracker('sink-facebook', async (s) => void statuses.push(s));
    const strict = new SinkRunner(table, tracker, failing, { reportExportProblem: async () => undefined, reportTermsProblem: async () => undefined });
    await strict.handle([batch(1, 'X', ['a'], { last: false }), batch(1, 'X', ['b', 'c'], { last: true })], ctx);
    expect(statuses.map((s) => [s.state, s.counts.failed])).toEqual([
      ['failed', 1],
      ['failed', 3],
    ]);
  });

  it('terms not accepted: the run fails as for any permanent failure, and the registry is told the connection’s terms problem', async () => {
    table.apply(EXPORT, config(1, 'X'));
    const terms: Destination<HashedBatch> = {
      names: () => true,
      deliver: async () => {
        throw new TermsNotAccepted('accept the terms in the platform');
      },
    };
    const runner = new SinkRunner(table, new RunTracker('sink-facebook', async (s) => void statuses.push(s)), terms, { reportExportProblem: async () => undefined, reportTermsProblem: async (connectionId, problem, refusedAt) => void termsProblems.push({ connectionId, problem, refusedAt }) });
    const before = Date.now();
    await runner.handle([batch(1, 'X', ['a'], { last: false }), batch(1, 'X', ['b', 'c'], { last: true }), batch(1, 'X', ['d'])], ctx);
    expect(statuses.map((s) => [s.state, s.counts.failed, s.error])).toEqual([
      ['failed', 1, 'accept the terms in the platform'],
      ['failed', 3, 'accept the terms in the platform'],
    ]);
    // Each batch the platform refused tells it: the first of the run, and a change outside any run.
    // With when the refused attempt began: the registry drops a refusal older than a confirmation.
    const refused = { connectionId: 'c-1', problem: 'accept the terms in the platform', refusedAt: expect.any(Date) };
    expect(termsProblems).toEqual([refused, refused]);
    for (const { refusedAt } of termsProblems) expect(refusedAt!.getTime()).toBeGreaterThanOrEqual(before);
  });
});
