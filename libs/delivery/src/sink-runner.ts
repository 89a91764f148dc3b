import { Logger } from '@nestjs/common';
import { AudienceRef, ExportConfig, HashingCounts, RunContext, RunCounts } from '@audience-sync/contracts';
import { BatchContext, ReceivedMessage } from '@audience-sync/kafka';
import { ExportTable } from './export-table';
import { RunTracker } from './run-tracker';
import { sleep } from './backoff';

/** A failure retrying cannot fix: the run fails with this message (never with identifiers). */
export class PermanentFailure extends Error {}

/** The provider rejected the credentials; the connection was flagged and its exports wait. */
export class AuthenticationLost extends Error {}

export interface HashedBatch {
  audience: AudienceRef;
  run?: RunContext;
  counts: HashingCounts;
  adds: unknown[];
  removes: unknown[];
}

export type Deliver<B extends HashedBatch> = (batch: B, config: ExportConfig, ctx: BatchContext) => Promise<Omit<RunCounts, 'invalid'> & { invalid: number }>;

/**
 * The loop both sinks share, per batch in partition order: skip deleted exports, wait while the
 * connection needs re-authentication (keeping the changes), skip the rest of a failed run,
 * deliver, and fold the outcome into the run's progress. Errors other than permanent ones leave
 * the batch uncommitted, so it is delivered again.
 */
export class SinkRunner<B extends HashedBatch> {
  private readonly logger = new Logger(SinkRunner.name);

  constructor(
    private readonly table: ExportTable,
    private readonly tracker: RunTracker,
    private readonly deliver: Deliver<B>,
  ) {}

  async handle(messages: ReceivedMessage<B>[], ctx: BatchContext): Promise<void> {
    for (const { value: batch } of messages) {
      const { exportId, audienceKey } = batch.audience;
      const rows = batch.adds.length + batch.removes.length;
      for (;;) {
        const config = await this.table.whenDeliverable(exportId, ctx.heartbeat, ctx.signal);
        if (!config) break; // deleted: nothing more is sent for it
        if (this.tracker.hasFailed(batch.run)) {
          await this.tracker.record(batch.run, exportId, audienceKey, { failed: rows });
          break;
        }
        try {
          const result = await this.deliver(batch, config, ctx);
          await this.tracker.record(batch.run, exportId, audienceKey, { ...result, invalid: result.invalid + batch.counts.rejectedRows });
          break;
        } catch (error) {
          if (error instanceof AuthenticationLost) {
            await this.awaitPause(exportId, ctx);
            continue;
          }
          if (!(error instanceof PermanentFailure)) throw error;
          this.logger.error(`export ${exportId}${batch.run ? `, run ${batch.run.runId}` : ''}: ${error.message}`);
          await this.tracker.fail(batch.run, exportId, error.message, rows);
          await this.tracker.record(batch.run, exportId, audienceKey, {});
          break;
        }
      }
    }
  }

  /** After reporting lost credentials: give the registry's flag time to arrive, then wait for it to clear. */
  private async awaitPause(exportId: string, ctx: BatchContext): Promise<void> {
    const until = Date.now() + 15000;
    while (Date.now() < until && this.table.get(exportId)?.connectionState === 'active') {
      await ctx.heartbeat().catch(() => undefined);
      await sleep(250, ctx.signal);
    }
  }
}
