import { Logger } from '@nestjs/common';
import { AudienceSize, ExportConfig } from '@audience-sync/contracts';
import { withIds } from '@audience-sync/runtime';
import { Wait } from './api-client';
import { sleep } from './backoff';
import { FinishedRun, Publish } from './run-tracker';
import { Destination, HashedBatch } from './sink-runner';

export interface ReadBackOptions {
  /** Wait before reading again while the platform says `processing`. */
  recheckMs: number;
  /** Readings after the first while it stays `processing`. */
  rechecks: number;
  /** How long one reading may take, rate-limit waits included. */
  timeoutMs?: number;
}

type Reading = Omit<AudienceSize, 'checkedAt'>;

/** Worst first: what the run shows when its audiences (Microsoft: a list per segment) disagree. */
const PRECEDENCE: NonNullable<Reading['status']>[] = ['unavailable', 'unusable', 'processing', 'too-small', 'ready'];

/** One reading for the run from one per audience: bounds add up when every audience has them. */
export function combineSizes(readings: Reading[]): Reading {
  if (readings.length === 1) return readings[0];
  const status = PRECEDENCE.find((s) => readings.some((r) => r.status === s));
  const bounded = readings.every((r) => r.sizeLowerBound !== undefined && r.sizeUpperBound !== undefined);
  const sum = (pick: (r: Reading) => number | undefined) => readings.reduce((total, r) => total + (pick(r) ?? 0), 0);
  return {
    ...(bounded ? { sizeLowerBound: sum((r) => r.sizeLowerBound), sizeUpperBound: sum((r) => r.sizeUpperBound) } : {}),
    ...(status ? { status } : {}),
    detail: `${readings.length} audiences${bounded ? ', sizes added up' : ''}`,
  };
}

/**
 * After a run, asks the platform for its audience's size and reports the run's final status again
 * with it (the registry keeps the last `audience` it is told). In the background: the batch that
 * ended the run is committed without waiting, and nothing here fails or holds a run. A reading that
 * fails is recorded as `unavailable` and logged (the platform's redacted message, no identifiers).
 * While the platform says `processing` it reads again a few times, each reading reported; a restart
 * in between loses only those later readings.
 */
export class AudienceReadBack {
  private readonly logger = new Logger(AudienceReadBack.name);
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly exportConfig: (exportId: string) => ExportConfig | undefined,
    private readonly destination: Pick<Destination<HashedBatch>, 'audienceSize'>,
    private readonly publish: Publish,
    private readonly options: ReadBackOptions,
    private readonly wait: Wait = sleep,
  ) {}

  /** Starts the read-back of a finished run; returns at once. */
  start(run: FinishedRun): void {
    if (!this.destination.audienceSize || run.audienceKeys.length === 0 || this.stopping.signal.aborted) return;
    const follow = this.follow(run).catch(() => undefined);
    this.pending.add(follow);
    void follow.finally(() => this.pending.delete(follow));
  }

  /** Resolves when every read-back started so far has ended. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Ends the read-backs in progress (shutdown): a reading under way is abandoned, not reported. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async follow(run: FinishedRun): Promise<void> {
    for (let check = 0; ; check += 1) {
      const audience = await this.read(run);
      if (this.stopping.signal.aborted) return;
      await this.publish({ ...run.status, audience }).catch((error: Error) => this.logger.warn(withIds({ exportId: run.status.exportId, runId: run.status.runId }, `the audience size was read but not reported (${error.message})`)));
      if (audience.status !== 'processing' || check >= this.options.rechecks) return;
      await this.wait(this.options.recheckMs, this.stopping.signal);
    }
  }

  private async read({ status, audienceKeys }: FinishedRun): Promise<AudienceSize> {
    const config = this.exportConfig(status.exportId);
    if (!config) return { status: 'unavailable', detail: 'size unavailable: the export was deleted', checkedAt: new Date().toISOString() };
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs ?? 120_000)]);
    try {
      const readings = await Promise.all(audienceKeys.map((key) => this.destination.audienceSize!(key, config, signal)));
      return { ...combineSizes(readings), checkedAt: new Date().toISOString() };
    } catch (error) {
      this.logger.warn(withIds({ exportId: status.exportId, runId: status.runId }, `the audience size could not be read (${(error as Error).message}); recorded as unavailable, the run is unaffected`));
      return { status: 'unavailable', detail: 'size unavailable: the platform did not answer (see the sink log)', checkedAt: new Date().toISOString() };
    }
  }
}
