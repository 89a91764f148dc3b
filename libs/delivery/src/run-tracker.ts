import { RunContext, RunCounts, RunStatus } from '@audience-sync/contracts';

interface Tracked {
  exportId: string;
  trigger: RunContext['trigger'];
  audiences: number;
  finished: Set<string>;
  counts: RunCounts;
  failed?: string;
  /** Failed permanently: its later batches are not sent. */
  abandoned: boolean;
  lastReport: number;
}

export type Publish = (status: Omit<RunStatus, 'at'>) => Promise<void>;

/** A run this sink saw to its end: the final status it reported, and the audiences its batches named. */
export interface FinishedRun {
  status: Omit<RunStatus, 'at'>;
  audienceKeys: string[];
}

/**
 * A run's progress as one sink sees it: totals per run, done when every audience of the run has
 * seen its last batch, failed at the first error an admin must see. After a permanent failure its
 * later batches are skipped; after one whose changes wait (an audience to choose again) they are
 * still delivered, and the failed run's final totals are reported when it is done.
 * In memory: after a restart the totals start again from the replayed batches.
 */
export class RunTracker {
  private readonly runs = new Map<string, Tracked>();

  constructor(
    private readonly stage: RunStatus['stage'],
    private readonly publish: Publish,
    /** Told of each run once its final status is published (the audience size read-back). */
    private readonly finished: (run: FinishedRun) => void = () => undefined,
  ) {}

  private get(run: RunContext, exportId: string): Tracked {
    let tracked = this.runs.get(run.runId);
    if (!tracked) {
      tracked = { exportId, trigger: run.trigger, audiences: run.audiences, finished: new Set(), counts: { sent: 0, removed: 0, invalid: 0, failed: 0 }, abandoned: false, lastReport: 0 };
      this.runs.set(run.runId, tracked);
    }
    return tracked;
  }

  isAbandoned(run: RunContext | undefined): boolean {
    return Boolean(run && this.runs.get(run.runId)?.abandoned);
  }

  async record(run: RunContext | undefined, exportId: string, audienceKey: string, delta: Partial<RunCounts>): Promise<void> {
    if (!run) return;
    const tracked = this.get(run, exportId);
    for (const [k, v] of Object.entries(delta) as [keyof RunCounts, number][]) tracked.counts[k] += v;
    if (run.last) tracked.finished.add(audienceKey);
    const done = tracked.finished.size >= tracked.audiences;
    if (done) {
      const status = await this.report(run.runId, tracked, tracked.failed ? 'failed' : 'succeeded');
      this.runs.delete(run.runId);
      this.finished({ status, audienceKeys: [...tracked.finished] });
    } else if (!tracked.failed && Date.now() - tracked.lastReport > 1000) await this.report(run.runId, tracked, 'running');
  }

  /** Fails the run (the first error is the one shown); `abandon` skips its later batches. */
  async fail(run: RunContext | undefined, exportId: string, error: string, failedRows: number, abandon = true): Promise<void> {
    if (!run) return;
    const tracked = this.get(run, exportId);
    tracked.counts.failed += failedRows;
    tracked.abandoned ||= abandon;
    if (tracked.failed) return;
    tracked.failed = error;
    await this.report(run.runId, tracked, 'failed');
  }

  private async report(runId: string, tracked: Tracked, state: RunStatus['state']): Promise<Omit<RunStatus, 'at'>> {
    tracked.lastReport = Date.now();
    const status = { runId, exportId: tracked.exportId, stage: this.stage, trigger: tracked.trigger, state, counts: { ...tracked.counts }, ...(tracked.failed ? { error: tracked.failed } : {}) };
    await this.publish(status);
    return status;
  }
}
