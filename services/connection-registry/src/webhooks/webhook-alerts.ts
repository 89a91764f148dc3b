import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { connectionStatus } from '../connections/connection-status';
import { ConnectionDoc, ExportDoc, Models, RunDoc, RunStageDoc } from '../models';
import { runView } from '../runs/run.view';
import { WebhooksService } from './webhooks.service';

const DAY_MS = 24 * 60 * 60 * 1000;
/** connection.token-expiring fires this long before a token's expiry. */
const EXPIRY_WARNING_MS = 7 * DAY_MS;

type AlertConnection = Pick<ConnectionDoc, '_id' | 'destination' | 'credentials' | 'credentialsExpireAt' | 'authProblem' | 'termsProblem' | 'termsConfirmedAt' | 'facebook'>;

/** Turns what the registry learns (a run finished, credentials stopped working or are about to) into webhook events. */
@Injectable()
export class WebhookAlerts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookAlerts.name);
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    private readonly webhooks: WebhooksService,
    @InjectModel(Models.run) private readonly runs: Model<RunDoc>,
    @InjectModel(Models.runStage) private readonly stages: Model<RunStageDoc>,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.connection) private readonly connections: Model<ConnectionDoc>,
    @Inject(APP_CONFIG) private readonly config: Pick<RegistryConfig, 'WEBHOOK_EXPIRY_CHECK_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.checkExpiries(), this.config.WEBHOOK_EXPIRY_CHECK_MS);
    this.checkExpiries();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** A stage finished its part of a run: run.failed when the run failed, run.invalid-share when it succeeded with too many invalid rows. */
  async runFinished(runId: string): Promise<void> {
    const run = await this.runs.findById(runId).lean();
    if (!run) return;
    const [failed, invalidShare] = await Promise.all([this.webhooks.listening('run.failed', [run.exportId]), this.webhooks.listening('run.invalid-share', [run.exportId])]);
    if (failed.length + invalidShare.length === 0) return;
    const exportDoc = await this.exports.findById(run.exportId, { connectionId: 1 }).lean();
    const connection = exportDoc && (await this.connections.findById(exportDoc.connectionId, { destination: 1 }).lean());
    if (!connection) return;
    const view = runView(run, await this.stages.find({ runId }).lean(), connection.destination);
    const about = { exportId: view.exportId, runId: view.id, trigger: view.trigger };
    const scope = { exportIds: [run.exportId], occurrence: runId };
    if (view.state === 'failed') await this.webhooks.enqueue(failed, 'run.failed', scope, () => ({ ...about, error: view.error ?? null, counts: view.counts }));
    if (view.state !== 'succeeded') return;
    const rows = view.counts.sent + view.counts.invalid;
    const share = rows === 0 ? 0 : view.counts.invalid / rows;
    const over = invalidShare.filter((w) => share > w.invalidShareThreshold);
    await this.webhooks.enqueue(over, 'run.invalid-share', scope, (w) => ({ ...about, counts: view.counts, invalidShare: Number(share.toFixed(4)), threshold: w.invalidShareThreshold }));
  }

  /**
   * The connection entered needs-reauthentication: a provider rejected its credentials, or its
   * token expired. One alert per set of credentials (their seal's IV changes with every sign-in),
   * however many sinks report the rejection.
   */
  async needsReauthentication(connection: AlertConnection): Promise<void> {
    const status = connectionStatus(connection);
    if (status.state !== 'needs-reauthentication') return;
    await this.connectionEvent(connection, 'connection.needs-reauthentication', `${connection._id}@${connection.credentials?.iv ?? 'none'}`, { message: status.message });
  }

  /**
   * The connection entered terms-not-accepted: one alert each time, however many sinks report it
   * at once. The occurrence is the episode since the last confirmation, so concurrent reports meet
   * on one delivery id (the database's unique key decides, not a read that raced).
   */
  async termsNotAccepted(connection: AlertConnection): Promise<void> {
    const status = connectionStatus(connection);
    if (status.state !== 'terms-not-accepted') return;
    await this.connectionEvent(connection, 'connection.terms-not-accepted', `${connection._id}@terms@${connection.termsConfirmedAt?.toISOString() ?? 'never-confirmed'}`, { message: status.message });
  }

  private async connectionEvent(connection: AlertConnection, event: 'connection.needs-reauthentication' | 'connection.terms-not-accepted' | 'connection.token-expiring', occurrence: string, data: Record<string, unknown>): Promise<void> {
    const exportIds = (await this.exports.find({ connectionId: connection._id }, { _id: 1 }).lean()).map((e) => e._id);
    const listening = await this.webhooks.listening(event, exportIds);
    await this.webhooks.enqueue(listening, event, { exportIds, occurrence }, () => ({ connectionId: connection._id, destination: connection.destination, ...data }));
  }

  /** Tokens expiring within 7 days (once per connection and expiry), and tokens that expired (nothing else tells of those). */
  private checkExpiries(): void {
    if (this.checking) return;
    this.checking = this.findExpiries()
      .catch((error) => this.logger.error(`token expiry check: ${(error as Error).message}`))
      .finally(() => (this.checking = undefined));
  }

  private async findExpiries(): Promise<void> {
    const now = new Date();
    const due = await this.connections
      .find({ authProblem: null, credentials: { $ne: null }, credentialsExpireAt: { $ne: null, $lte: new Date(now.getTime() + EXPIRY_WARNING_MS) } }, { destination: 1, credentials: 1, credentialsExpireAt: 1, authProblem: 1, facebook: 1 })
      .lean();
    for (const connection of due) {
      const expiresAt = new Date(connection.credentialsExpireAt!);
      if (expiresAt <= now) {
        await this.needsReauthentication(connection);
        continue;
      }
      const days = Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS);
      const message = `the provider's access token expires in ${days} day(s); re-authenticate before ${expiresAt.toISOString()}: POST /connections/${connection._id}/authorize and sign in again`;
      await this.connectionEvent(connection, 'connection.token-expiring', `${connection._id}@${expiresAt.toISOString()}`, { expiresAt: expiresAt.toISOString(), message });
    }
  }
}
