import { Logger } from '@nestjs/common';
import { withIds } from '@audience-sync/runtime';
import { AudienceRef, AudienceSize, ExportConfig, HashingCounts, RunContext, RunCounts } from '@audience-sync/contracts';
import { BatchContext, ReceivedMessage } from '@audience-sync/kafka';
import { ExportTable } from './export-table';
import { RunTracker } from './run-tracker';
import { sleep } from './backoff';
import { sinkMetrics } from './sink-metrics';

/** A failure retrying cannot fix: the run fails with this message (never with identifiers). */
export class PermanentFailure extends Error {}

/**
 * The account has not accepted the platform's terms (e.g. Facebook's custom audience terms): the
 * run fails with the message (what to accept where) as for any PermanentFailure, and the registry
 * shows it on the connection until an admin says the terms are accepted.
 */
export class TermsNotAccepted extends PermanentFailure {}

/** The provider rejected the credentials; the connection was flagged and its exports wait. */
export class AuthenticationLost extends Error {}

/**
 * The export's audience is gone or out of reach (deleted at the platform, or not visible to the
 * connection's user): the run fails with `message`, the registry shows `problem` (what to do, no
 * identifiers) on the export, and the export's changes wait until an admin fixes it.
 */
export class AudienceUnavailable extends Error {
  constructor(
    message: string,
    readonly problem: string,
  ) {
    super(message);
  }
}

export interface HashedBatch {
  audience: AudienceRef;
  run?: RunContext;
  counts: HashingCounts;
  adds: unknown[];
  removes: unknown[];
}

/** What a sink knows of its platform. */
export interface Destination<B extends HashedBatch> {
  /** Whether the export's config still names the audience this batch was made for. */
  names(batch: B, config: ExportConfig): boolean;
  /** Sends the batch to the audience the config names, never to one taken from the message alone. */
  deliver(batch: B, config: ExportConfig, ctx: BatchContext): Promise<RunCounts>;
  /**
   * The size the platform reports for an audience of the export (`audienceKey` as the run's batches
   * named it), read once a run finished; through the same client as the deliveries, so rate limits
   * and tokens are handled alike. May throw: the read-back records the size as unavailable.
   */
  audienceSize?(audienceKey: string, config: ExportConfig, signal: AbortSignal): Promise<Omit<AudienceSize, 'checkedAt'>>;
}

/** Where a sink reports an export, or a connection, that cannot deliver until an admin acts. */
export interface ProblemReporter {
  reportExportProblem(exportId: string, problem: string): Promise<void>;
  /** `refusedAt`: when the refused attempt began, so the registry can drop a refusal older than the admin's confirmation. */
  reportTermsProblem(connectionId: string, problem: string, refusedAt: Date): Promise<void>;
}

/**
 * The loop both sinks share, per batch in partition order: skip deleted exports; wait for a config
 * at least as new as the batch's, and while the connection needs re-authentication or the export
 * carries a problem (keeping the changes); skip batches for an audience the config no longer names
 * and the rest of a permanently failed run; deliver, and fold the outcome into the run's progress.
 * Errors other than permanent ones leave the batch uncommitted, so it is delivered again.
 */
export class SinkRunner<B extends HashedBatch> {
  private readonly logger = new Logger(SinkRunner.name);

  constructor(
    private readonly table: ExportTable,
    private readonly tracker: RunTracker,
    private readonly destination: Destination<B>,
    private readonly registry: ProblemReporter,
  ) {}

  async handle(messages: ReceivedMessage<B>[], ctx: BatchContext): Promise<void> {
    for (const { value: batch, timestamp } of messages) {
      const { exportId, exportVersion, audienceKey } = batch.audience;
      const labels = { export_id: exportId, destination: batch.audience.destination };
      const rows = batch.adds.length + batch.removes.length;
      for (;;) {
        const config = await this.table.whenDeliverable(exportId, exportVersion, ctx.heartbeat, ctx.signal);
        if (!config) break; // deleted: nothing more is sent for it
        if (!this.destination.names(batch, config) && !this.table.heldByProblem(exportId, exportVersion)) {
          this.logger.log(withIds({ exportId, runId: batch.run?.runId }, `a batch made under version ${exportVersion} is for an audience its version ${config.version} no longer names; not sent`));
          await this.tracker.record(batch.run, exportId, audienceKey, {});
          break;
        }
        if (this.tracker.isAbandoned(batch.run)) {
          await this.tracker.record(batch.run, exportId, audienceKey, { failed: rows });
          break;
        }
        const applied = this.table.appliedCount(exportId);
        const attemptedAt = new Date();
        try {
          let result: RunCounts;
          try {
            result = await this.destination.deliver(batch, config, ctx);
          } catch (error) {
            if (!(error instanceof AuthenticationLost || error instanceof AudienceUnavailable || error instanceof PermanentFailure)) sinkMetrics.batchesRetried.inc(labels);
            throw error;
          }
          countDelivered(labels, result, batch.counts.rejectedRows, Number(timestamp));
          await this.tracker.record(batch.run, exportId, audienceKey, { ...result, invalid: result.invalid + batch.counts.rejectedRows });
          break;
        } catch (error) {
          if (error instanceof AuthenticationLost) {
            await this.awaitFlag(exportId, applied, (c) => c.connectionState !== 'active', ctx);
            continue;
          }
          if (error instanceof AudienceUnavailable) {
            this.logger.warn(withIds({ exportId, runId: batch.run?.runId }, error.problem));
            await this.registry.reportExportProblem(exportId, error.problem);
            await this.tracker.fail(batch.run, exportId, error.message, 0, false);
            await this.awaitFlag(exportId, applied, (c) => Boolean(c.problem), ctx);
            continue;
          }
          if (!(error instanceof PermanentFailure)) throw error;
          this.logger.error(withIds({ exportId, runId: batch.run?.runId }, error.message));
          if (error instanceof TermsNotAccepted) await this.registry.reportTermsProblem(config.connectionId, error.message, attemptedAt);
          await this.tracker.fail(batch.run, exportId, error.message, rows);
          sinkMetrics.rowsFailed.inc(labels, rows);
          await this.tracker.record(batch.run, exportId, audienceKey, {});
          break;
        }
      }
    }
  }

  /**
   * After reporting: give the registry's flag time to arrive in the table, so the wait that follows
   * holds. Any config that came after the one the batch was tried with ends it too (`applied`
   * counts them): the flag may have come and gone already, when an admin acted at once.
   */
  private async awaitFlag(exportId: string, applied: number, flagged: (config: ExportConfig) => boolean, ctx: BatchContext): Promise<void> {
    const until = Date.now() + 15000;
    const waiting = (config: ExportConfig | undefined) => config && !flagged(config) && this.table.appliedCount(exportId) === applied && Date.now() < until;
    for (let config = this.table.get(exportId); waiting(config); config = this.table.get(exportId)) {
      await ctx.heartbeat().catch(() => undefined);
      await sleep(250, ctx.signal);
    }
  }
}

function countDelivered(labels: { export_id: string; destination: string }, result: RunCounts, rejectedUpstream: number, writtenAt: number): void {
  sinkMetrics.rowsSent.inc(labels, result.sent);
  sinkMetrics.rowsRemoved.inc(labels, result.removed);
  sinkMetrics.rowsInvalid.inc({ ...labels, reason: 'rejected-by-platform' }, result.invalid);
  sinkMetrics.rowsInvalid.inc({ ...labels, reason: 'rejected-upstream' }, rejectedUpstream);
  if (writtenAt > 0) sinkMetrics.changeAge.observe({ destination: labels.destination }, Math.max(0, Date.now() - writtenAt) / 1000);
}
