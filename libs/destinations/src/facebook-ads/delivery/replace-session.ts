import { Logger } from '@nestjs/common';
import { withIds } from '@audience-sync/runtime';
import { createHash } from 'node:crypto';
import { FacebookChangeBatch, RunCounts } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { PermanentFailure } from '@audience-sync/delivery';
import { GraphApiError, GraphClient } from './graph-client';
import { SessionTally, UploadAnswer } from './upload-answer';

type FullSync = FacebookChangeBatch & { mode: { kind: 'full-sync' } };

/** How long to wait before asking again while another replace runs on the audience. */
const BUSY_WAIT_MS = 5000;

/**
 * A full sync as one /usersreplace session per run and audience: every batch of the run with its
 * batch_seq, the last with last_batch_flag, so what the sync says the audience holds it holds once
 * the session closes. Graph refuses a request without data ("(#100) Data is missing or does not
 * match schema", facebook/facebook-ruby-business-sdk#63) and documents no empty replace, so the
 * streamer never asks for one (stream parts: `emptyReplace: false`; it removes what was sent
 * instead) and a batch without rows fails the run here. The session id is derived from the run, so a replay
 * after a restart continues the same session; a session Facebook closed (graphErrors:
 * `session-closed`) is opened afresh when the run starts over, and another replace in progress
 * (`session-busy`) is waited out.
 */
export class ReplaceSessions {
  private readonly logger = new Logger(ReplaceSessions.name);
  /** Replace attempts per run and audience: a finished or expired session needs a new id. */
  private readonly attempts = new Map<string, number>();
  private readonly tally = new SessionTally();

  constructor(private readonly graph: GraphClient) {}

  async send(connectionId: string, audienceId: string, batch: FullSync, ctx: BatchContext): Promise<RunCounts> {
    const { runId, seq, last } = batch.mode;
    const key = `${runId}/${audienceId}`;
    if (batch.adds.length === 0) throw new PermanentFailure('a full sync of a Facebook audience came with no rows; Graph cannot replace an audience with nothing, so nothing was sent. Update the segment streamer (it removes what was sent instead) and run the export again');
    for (;;) {
      const attempt = this.attempts.get(key) ?? 0;
      const session = { session_id: sessionId(key, attempt), batch_seq: seq, last_batch_flag: last };
      const tallyKey = String(session.session_id);
      try {
        const answer = await this.graph.call<UploadAnswer>(connectionId, 'POST', `/${audienceId}/usersreplace`, { payload: { schema: batch.schema, data: batch.adds }, session }, ctx.signal, ctx.heartbeat);
        const invalid = this.tally.invalidOf(tallyKey, batch.adds.length, answer);
        if (last) {
          this.attempts.delete(key);
          this.tally.forget(tallyKey);
        }
        return { sent: batch.adds.length - invalid, removed: 0, invalid, failed: 0 };
      } catch (error) {
        const action = error instanceof GraphApiError ? error.action : undefined;
        if (seq === 1 && action === 'session-closed') {
          // The run started over (a replay after a restart): open a fresh session.
          this.tally.forget(tallyKey);
          this.attempts.set(key, attempt + 1);
          continue;
        }
        if (action === 'session-busy') {
          this.logger.warn(withIds({ audienceId }, 'another replace is in progress; waiting'));
          await ctx.heartbeat().catch(() => undefined);
          await this.graph.wait(BUSY_WAIT_MS, ctx.signal);
          continue;
        }
        if (action === 'session-closed') {
          this.tally.forget(tallyKey);
          throw new PermanentFailure('Facebook closed the replace session before the sync finished, leaving the audience as it was; run the export again');
        }
        throw error;
      }
    }
  }
}

/**
 * The session id Meta specifies as an int64 the caller picks, unique in the ad account (usersreplace
 * reference, `session.session_id`), sent as a JSON number as Meta's examples do. It is the same for
 * the same run, audience and attempt; 52 bits of a digest keep it an exact JavaScript number.
 */
function sessionId(key: string, attempt: number): number {
  return Number.parseInt(createHash('sha256').update(`${key}#${attempt}`).digest('hex').slice(0, 13), 16) + 1;
}
