import { RunContext, RunCounts, RunStatus } from '@audience-sync/contracts';

interface Tracked {
  exportId: string;
  trigger: RunContext['trigger'];
  audiences: number;
  finished: Set<string>;
  counts: RunCounts;
  failed?: string;
  lastReport: number;
}

export type Publish = (status: Omit<RunStatus, 'at'>) => Promise<void>;

/**
 * A run's progress as one sink sees it: totals per run, done when every audience of the run has
 * seen its last batch, failed at the first permanent error (later batches of it are skipped).
 * In memory: after a restart the totals start again from the replayed batches.
 */
export class RunTracker {
  private readonly runs = new Map<string, Tracked>();

  constructor(
    private readonly stage: RunStatus['stage'],
    private readonly publish: Publish,
  ) {}

  private get(run: RunContext, exportId: string): Tracked {
    let tracked = this.runs.get(run.runId);
    if (!tracked) {
      tracked = { exportId, trigger: run.trigger, audiences: run.audiences, finished: new Set(), counts: { sent: 0, removed: 0, invalid: 0, failed: 0 }, lastReport: 0 };
      this.runs.set(run.runId, tracked);
    }
    return tracked;
  }

  hasFailed(run: RunContext | undefined): boolean {
    return Boolean(run && this.runs.get(run.runId)?.failed);
  }

  async record(run: RunContext | undefined, exportId: string, audienceKey: string, delta: Partial<RunCounts>): Promise<void> {
    if (!run) return;
    const tracked = this.get(run, exportId);
    for (const [k, v] of Object.entries(delta) as [keyof RunCounts, number][]) tracked.counts[k] += v;
    if (run.last) tracked.finished.add(audienceKey);
    const done = tracked.finished.size >= tracked.audiences;
    if (tracked.failed) {
      if (done) this.runs.delete(run.runId);
      return;
    }
    if (done) {
      await this.report(run.runId, tracked, 'succeeded');
      this.runs.delete(run.runId);
    } else if (Date.now() - tracked.lastReport > 1000) await this.report(run.runId, tracked, 'running');
  }

  async fail(run: RunContext | undefined, exportId: string, error: string, failedRows: number): Promise<void> {
    if (!run) return;
    const tracked = this.get(run, exportId);
    tracked.counts.failed += failedRows;
    if (tracked.failed) return;
    tracked.failed = error;
    await this.report(run.runId, tracked, 'failed');
  }

  private async report(runId: string, tracked: Tracked, state: RunStatus['state']): Promise<void> {
    tracked.lastReport = Date.now();
    await this.publish({ runId, exportId: tracked.exportId, stage: this.stage, trigger: tracked.trigger, state, counts: { ...tracked.counts }, ...(tracked.failed ? { error: tracked.failed } : {}) });
  }
}
