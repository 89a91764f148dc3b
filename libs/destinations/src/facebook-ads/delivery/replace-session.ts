import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { FacebookChangeBatch, RunCounts } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { PermanentFailure } from '@audience-sync/delivery';
import { GraphApiError, GraphClient } from './graph-client';
import { UploadAnswer } from './upload-answer';

type FullSync = FacebookChangeBatch & { mode: { kind: 'full-sync' } };

/**
 * A full sync as one /usersreplace session per run and audience: each batch whole (at most 10,000
 * rows by contract) with the run's batch_seq, the last with last_batch_flag. The session id is
 * derived from the run, so a replay after a restart continues the same session; a session Facebook
 * closed (graphErrors: `session-closed`) is opened afresh when the run starts over, and another
 * replace in progress (`session-busy`) is waited out.
 */
export class ReplaceSessions {
  private readonly logger = new Logger(ReplaceSessions.name);
  /** Replace attempts per run and audience: a finished or expired session needs a new id. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly graph: GraphClient) {}

  async send(connectionId: string, audienceId: string, batch: FullSync, ctx: BatchContext): Promise<RunCounts> {
    const { runId, seq, last } = batch.mode;
    if (batch.adds.length === 0) return { sent: 0, removed: 0, invalid: 0, failed: 0 };
    const key = `${runId}/${audienceId}`;
    for (;;) {
      const attempt = this.attempts.get(key) ?? 0;
      const session = { session_id: sessionId(key, attempt), batch_seq: seq, last_batch_flag: last, estimated_num_total: undefined };
      try {
        const answer = await this.graph.call<UploadAnswer>(connectionId, 'POST', `/${audienceId}/usersreplace`, { payload: { schema: batch.schema, data: batch.adds }, session }, ctx.signal, ctx.heartbeat);
        if (last) this.attempts.delete(key);
        const invalid = answer.num_invalid_entries ?? 0;
        return { sent: batch.adds.length - invalid, removed: 0, invalid, failed: 0 };
      } catch (error) {
        const action = error instanceof GraphApiError ? error.action : undefined;
        if (seq === 1 && action === 'session-closed') {
          // The run started over (a replay after a restart): open a fresh session.
          this.attempts.set(key, attempt + 1);
          continue;
        }
        if (action === 'session-busy') {
          this.logger.warn(`audience ${audienceId}: another replace is in progress; waiting`);
          await ctx.heartbeat().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5000));
          continue;
        }
        if (action === 'session-closed') throw new PermanentFailure('Facebook closed the replace session before the sync finished; run the export again');
        throw error;
      }
    }
  }
}

/** A 64-bit session id that is the same for the same run, audience and attempt. */
function sessionId(key: string, attempt: number): string {
  return BigInt(`0x${createHash('sha256').update(`${key}#${attempt}`).digest('hex').slice(0, 15)}`).toString();
}
