import { ExportConfig, FacebookChangeBatch } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { AudienceUnavailable, Destination, PermanentFailure } from '@audience-sync/delivery';
import { SIZE_FIELDS, SizeAnswer, sizeOf } from './audience-size';
import { GraphApiError, GraphClient } from './graph-client';
import { ReplaceSessions } from './replace-session';
import { UploadAnswer } from './upload-answer';

const MAX_ROWS = 10_000;

const GONE = "it was deleted, or the connection's Facebook user cannot see it";
const WHAT_TO_DO =
  "The export's changes wait; nothing is dropped. Choose another customer-list audience or create one for the export: " +
  'PATCH /exports/{id} with "facebook": {…, "audience": {"adAccountId", "audienceId"}} or {"adAccountId", "create": {"name"}}.';
/** Shown on the export while its changes wait; no identifiers (the export view shows its audience). */
const AUDIENCE_GONE = `Facebook no longer lets this export use its custom audience: ${GONE}. ${WHAT_TO_DO}`;

/**
 * One hashed batch to the custom audience the export's configuration names: adds with POST /users,
 * removals with DELETE /users (in parallel, up to 10,000 rows a request: they never touch the same
 * row), a full sync through one /usersreplace session (ReplaceSessions). The audience is checked to
 * be a customer list before its first upload. Graph errors no retry fixes fail the run with Graph's
 * (redacted) message; an audience that is gone (graphErrors: `audience-gone`) is
 * AudienceUnavailable: the export waits for an admin to choose another, keeping its changes.
 */
export class FacebookDelivery implements Destination<FacebookChangeBatch> {
  private readonly verified = new Set<string>();
  private readonly sessions: ReplaceSessions;

  constructor(
    private readonly graph: GraphClient,
    /**
     * Rows per /users request (Graph's limit); tests make it small to see a batch split. A full
     * sync sends each batch whole (at most 10,000 rows by contract): its batch_seq is the run's.
     */
    private readonly rowsPerRequest = MAX_ROWS,
  ) {
    this.sessions = new ReplaceSessions(graph);
  }

  names(batch: FacebookChangeBatch, config: ExportConfig): boolean {
    return config.destination.type === 'facebook-ads' && config.destination.audienceId === batch.audience.audienceKey;
  }

  async deliver(batch: FacebookChangeBatch, config: ExportConfig, ctx: BatchContext) {
    if (config.destination.type !== 'facebook-ads') throw new PermanentFailure(`export ${config.exportId} is not a Facebook export`);
    const audienceId = config.destination.audienceId;
    const connectionId = config.connectionId;
    try {
      await this.verify(connectionId, audienceId, ctx);
      if (batch.mode.kind === 'full-sync') return await this.sessions.send(connectionId, audienceId, { ...batch, mode: batch.mode }, ctx);
      const [added, removed] = await Promise.all([this.upload(connectionId, audienceId, 'POST', batch.schema, batch.adds, ctx), this.upload(connectionId, audienceId, 'DELETE', batch.schema, batch.removes, ctx)]);
      return { sent: added.accepted, removed: removed.accepted, invalid: added.invalid + removed.invalid, failed: 0 };
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      // No retry fixes what the loop hands back, but an audience that is gone waits for an admin.
      if (error.action !== 'audience-gone') throw new PermanentFailure(error.handling.message ?? error.message);
      this.verified.delete(audienceId); // check it again once an admin has acted
      const { code, error_subcode: sub } = error.error;
      throw new AudienceUnavailable(`Facebook answered ${code}${sub ? `/${sub}` : ''} for the custom audience ${audienceId}: ${GONE}. ${WHAT_TO_DO}`, AUDIENCE_GONE);
    }
  }

  /** The custom audience's approximate size and status (see sizeOf), read with the connection's token. */
  async audienceSize(audienceKey: string, config: ExportConfig, signal: AbortSignal) {
    const answer = await this.graph.call<SizeAnswer>(config.connectionId, 'GET', `/${audienceKey}`, { fields: SIZE_FIELDS }, signal, async () => undefined);
    return sizeOf(answer);
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
}
