import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { signatureOf, WEBHOOK_HEADERS } from './webhook-events';
import { WebhookDeliveryDoc, WebhookDoc, WebhookModels } from './webhook.models';
import { WebhookSecrets } from './webhook-secrets';

const TIMEOUT_MS = 10_000;
/** A claim outlives the request's timeout; one older than this was left by a sender that died, and is taken over. */
const CLAIM_MS = 60_000;
/** Deliveries sent at once by one registry. */
const PARALLEL = 5;

type Outcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string };

/**
 * Sends queued deliveries: at once when queued, and every WEBHOOK_POLL_MS for retries and for
 * deliveries a restart left behind. A delivery is claimed with a conditional update on its status
 * and due time, then read back: FerretDB can let two conditional updates of one document both
 * match, and a sender that finds another's claim leaves it. That narrows, but does not close, the
 * race between registries; a sender that dies mid-request leaves a claim that lapses after a
 * minute. So a receiver may see a delivery twice, and can tell by its id.
 */
@Injectable()
export class WebhookDeliverer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliverer.name);
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @InjectModel(WebhookModels.delivery) private readonly deliveries: Model<WebhookDeliveryDoc>,
    @InjectModel(WebhookModels.webhook) private readonly webhooks: Model<WebhookDoc>,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) private readonly config: Pick<RegistryConfig, 'WEBHOOK_RETRY_SCHEDULE_SECONDS' | 'WEBHOOK_POLL_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.WEBHOOK_POLL_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.draining;
  }

  /** Sends what is due now; a kick while sending makes one more pass after it. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error) => this.logger.error(`webhook deliveries: ${(error as Error).message}`))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      // Claimed one after another: FerretDB let concurrent claims of one delivery all match (it was sent four times).
      const claimed: WebhookDeliveryDoc[] = [];
      for (let i = 0; i < PARALLEL; i += 1) {
        const delivery = await this.claim();
        if (!delivery) break;
        claimed.push(delivery);
      }
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((d) => this.attempt(d)));
    }
  }

  private async claim(): Promise<WebhookDeliveryDoc | null> {
    const now = new Date();
    const claim = randomUUID();
    const taken = await this.deliveries
      .findOneAndUpdate(
        { status: { $in: ['pending', 'sending'] }, nextAttemptAt: { $lte: now } },
        { $set: { status: 'sending', claim, nextAttemptAt: new Date(now.getTime() + CLAIM_MS) }, $inc: { attempts: 1 } },
        { new: true, sort: { nextAttemptAt: 1 } },
      )
      .lean();
    if (!taken) return null;
    const held = await this.deliveries.findById(taken._id, { claim: 1 }).lean();
    return held?.claim === claim ? taken : null;
  }

  private async attempt(delivery: WebhookDeliveryDoc): Promise<void> {
    const webhook = await this.webhooks.findById(delivery.webhookId).lean();
    if (!webhook) return void (await this.deliveries.deleteOne({ _id: delivery._id }));
    const outcome = await this.post(webhook, delivery);
    const now = new Date();
    const wait = this.config.WEBHOOK_RETRY_SCHEDULE_SECONDS[delivery.attempts - 1];
    const update = outcome.ok
      ? { status: 'delivered', deliveredAt: now, nextAttemptAt: null, lastStatusCode: outcome.statusCode, lastError: null }
      : { status: wait === undefined ? 'failed' : 'pending', nextAttemptAt: wait === undefined ? null : new Date(now.getTime() + wait * 1000), lastStatusCode: outcome.statusCode, lastError: outcome.error };
    await this.deliveries.updateOne({ _id: delivery._id, claim: delivery.claim }, { $set: { ...update, claim: null } });
    if (!outcome.ok && wait === undefined) this.logger.warn(`webhook ${webhook._id}: delivery ${delivery._id} (${delivery.event}) failed after ${delivery.attempts} attempts: ${outcome.error}`);
  }

  /** A JSON POST, signed, with a 10 s timeout; only a 2xx answer delivers it (redirects are not followed). */
  private async post(webhook: WebhookDoc, delivery: WebhookDeliveryDoc): Promise<Outcome> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'audience-sync-webhooks',
          [WEBHOOK_HEADERS.event]: delivery.event,
          [WEBHOOK_HEADERS.delivery]: delivery._id,
          [WEBHOOK_HEADERS.timestamp]: timestamp,
          [WEBHOOK_HEADERS.signature]: signatureOf(this.secrets.open(webhook), timestamp, delivery.body),
        },
        body: delivery.body,
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status };
      return { ok: false, statusCode: response.status, error: `the receiver answered ${response.status}; it must answer 2xx` };
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : describe(error);
      return { ok: false, statusCode: null, error: reason };
    }
  }
}

/** fetch reports "fetch failed" and puts the reason (ECONNREFUSED, a certificate problem) in its cause. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
