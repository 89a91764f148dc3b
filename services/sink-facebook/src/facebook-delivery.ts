import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ExportConfig, FacebookChangeBatch } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { AudienceUnavailable, Destination, PermanentFailure } from '@audience-sync/delivery';
import { GraphApiError, GraphClient } from './graph-client';

const MAX_ROWS = 10_000;

const GONE = "it was deleted, or the connection's Facebook user cannot see it";
const WHAT_TO_DO =
  "The export's changes wait; nothing is dropped. Choose another customer-list audience or create one for the export: " +
  'PATCH /exports/{id} with "facebook": {…, "audience": {"adAccountId", "audienceId"}} or {"adAccountId", "create": {"name"}}.';
/** Shown on the export while its changes wait; no identifiers (the export view shows its audience). */
const AUDIENCE_GONE = `Facebook no longer lets this export use its custom audience: ${GONE}. ${WHAT_TO_DO}`;

/**
 * Graph's answers for an audience that was deleted or that the token's user cannot see: 100/33
 * "Object with ID … does not exist, cannot be loaded due to missing permissions" (Marketing API
 * error reference), and the custom-audience codes 1487301 (not shared with the ad account) and
 * 1487366 (deleted).
 */
function audienceGone(error: unknown): error is GraphApiError {
  if (!(error instanceof GraphApiError)) return false;
  const { code, error_subcode: sub } = error.error;
  return (code === 100 && sub === 33) || [code, sub].some((c) => c === 1487301 || c === 1487366);
}

interface UploadAnswer {
  num_received?: number;
  num_invalid_entries?: number;
}

/**
 * One hashed batch to the custom audience the export's configuration names: adds with POST /users,
 * removals with DELETE /users (in parallel, up to 10,000 rows a request: they never touch the same
 * row), a full sync through one /usersreplace session. The audience is checked to be a customer
 * list before its first upload. An audience that is gone is AudienceUnavailable: the export waits
 * for an admin to choose another, keeping its changes.
 */
export class FacebookDelivery implements Destination<FacebookChangeBatch> {
  private readonly logger = new Logger(FacebookDelivery.name);
  private readonly verified = new Set<string>();
  /** Replace attempts per run and audience: a finished or expired session needs a new id. */
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly graph: GraphClient,
    /**
     * Rows per /users request (Graph's limit); tests make it small to see a batch split. A full
     * sync sends each batch whole (at most 10,000 rows by contract): its batch_seq is the run's.
     */
    private readonly rowsPerRequest = MAX_ROWS,
  ) {}

  names(batch: FacebookChangeBatch, config: ExportConfig): boolean {
    return config.destination.type === 'facebook-ads' && config.destination.audienceId === batch.audience.audienceKey;
  }

  async deliver(batch: FacebookChangeBatch, config: ExportConfig, ctx: BatchContext) {
    if (config.destination.type !== 'facebook-ads') throw new PermanentFailure(`export ${config.exportId} is not a Facebook export`);
    const audienceId = config.destination.audienceId;
    const connectionId = config.connectionId;
    try {
      await this.verify(connectionId, audienceId, ctx);
      if (batch.mode.kind === 'full-sync') return await this.replace(connectionId, audienceId, batch, ctx);
      const [added, removed] = await Promise.all([this.upload(connectionId, audienceId, 'POST', batch.schema, batch.adds, ctx), this.upload(connectionId, audienceId, 'DELETE', batch.schema, batch.removes, ctx)]);
      return { sent: added.accepted, removed: removed.accepted, invalid: added.invalid + removed.invalid, failed: 0 };
    } catch (error) {
      if (!audienceGone(error)) throw this.permanent(error);
      this.verified.delete(audienceId); // check it again once an admin has acted
      const { code, error_subcode: sub } = error.error;
      throw new AudienceUnavailable(`Facebook answered ${code}${sub ? `/${sub}` : ''} for the custom audience ${audienceId}: ${GONE}. ${WHAT_TO_DO}`, AUDIENCE_GONE);
    }
  }

  private async verify(connectionId: string, audienceId: string, ctx: BatchContext): Promise<void> {
    if (this.verified.has(audienceId)) return;
    const audience = await this.graph.call<{ id: string; name?: string; subtype?: string }>(connectionId, 'GET', `/${audienceId}`, { fields: 'id,name,subtype' }, ctx.signal, ctx.heartbeat);
    if (audience.subtype !== 'CUSTOM') {
      throw new PermanentFailure(`the Facebook audience ${audienceId}${audience.name ? ` ("${audience.name}")` : ''} is a ${audience.subtype ?? 'unknown'} audience; exports need a customer-list audience: choose one on the connection`);
    }
    this.verified.add(audienceId);
  }

  private async upload(connectionId: string, audienceId: string, method: 'POST' | 'DELETE', schema: string[], rows: string[][], ctx: BatchContext) {
    let accepted = 0;
    let invalid = 0;
    for (let i = 0; i < rows.length; i += this.rowsPerRequest) {
      const data = rows.slice(i, i + this.rowsPerRequest);
      const answer = await this.graph.call<UploadAnswer>(connectionId, method, `/${audienceId}/users`, { payload: { schema, data } }, ctx.signal, ctx.heartbeat);
      invalid += answer.num_invalid_entries ?? 0;
      accepted += data.length - (answer.num_invalid_entries ?? 0);
    }
    return { accepted, invalid };
  }

  private async replace(connectionId: string, audienceId: string, batch: FacebookChangeBatch, ctx: BatchContext) {
    if (batch.mode.kind !== 'full-sync') throw new Error('not a full sync');
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
        const sub = error instanceof GraphApiError && error.error.code === 2650 ? error.error.error_subcode : undefined;
        if (seq === 1 && (sub === 1870159 || sub === 1870158)) {
          // The run started over (a replay after a restart): open a fresh session.
          this.attempts.set(key, attempt + 1);
          continue;
        }
        if (sub === 1870145) {
          this.logger.warn(`audience ${audienceId}: another replace is in progress; waiting`);
          await ctx.heartbeat().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5000));
          continue;
        }
        if (sub === 1870158 || sub === 1870159) throw new PermanentFailure('Facebook closed the replace session before the sync finished; run the export again');
        throw error;
      }
    }
  }

  /** API errors that no retry fixes fail the run with the API's (redacted) message. */
  private permanent(error: unknown): unknown {
    return error instanceof GraphApiError ? new PermanentFailure(error.message) : error;
  }
}

/** A 64-bit session id that is the same for the same run, audience and attempt. */
function sessionId(key: string, attempt: number): string {
  return BigInt(`0x${createHash('sha256').update(`${key}#${attempt}`).digest('hex').slice(0, 15)}`).toString();
}
