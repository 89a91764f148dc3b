import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { Principal } from '../auth/principal';
import { invalid, notFound } from '../common/api-error';
import { PageQuery } from '../common/zod-body';
import { ExportDoc, Models } from '../models';
import { CreateWebhookBody } from './webhook.dto';
import { WebhookBody, WebhookEvent } from './webhook-events';
import { WebhookDeliveryDoc, WebhookDoc, WebhookModels } from './webhook.models';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookSecrets } from './webhook-secrets';
import { AuditLog } from '../audit/audit-log.service';

/** What an event is about: the exports it concerns (a webhook for one export hears only those) and what makes it one occurrence. */
export interface EventScope {
  exportIds: string[];
  /** The same occurrence noticed again (a replayed report, the next periodic check) has the same key and is sent once. */
  occurrence: string;
}

/** The webhooks themselves, and the deliveries an event makes. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectModel(WebhookModels.webhook) private readonly webhooks: Model<WebhookDoc>,
    @InjectModel(WebhookModels.delivery) private readonly deliveries: Model<WebhookDeliveryDoc>,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    private readonly secrets: WebhookSecrets,
    private readonly deliverer: WebhookDeliverer,
    private readonly audit: AuditLog,
  ) {}

  /** The secret is in this answer only; it is stored sealed and never shown again. */
  async create(principal: Principal, body: CreateWebhookBody): Promise<{ webhook: WebhookDoc; secret: string }> {
    if (body.exportId && !(await this.exports.exists({ _id: body.exportId }))) {
      throw invalid(`exportId: export ${body.exportId} does not exist; leave exportId out for alerts about every export`, [{ path: 'exportId', message: 'no such export' }]);
    }
    const id = randomUUID();
    const { secret, sealed } = this.secrets.create(id);
    const webhook = await this.webhooks.create({
      _id: id,
      url: body.url,
      events: body.events,
      exportId: body.exportId ?? null,
      invalidShareThreshold: body.invalidShareThreshold,
      secret: sealed,
      createdBy: principal.name,
      createdAt: new Date(),
    });
    await this.audit.record({ action: 'create', objectType: 'webhook', objectId: id }, principal);
    return { webhook: webhook.toObject(), secret };
  }

  async list(page: PageQuery): Promise<WebhookDoc[]> {
    return this.webhooks.find().sort({ createdAt: 1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
  }

  async get(id: string): Promise<WebhookDoc> {
    const webhook = await this.webhooks.findById(id).lean();
    if (!webhook) throw notFound('webhook', id);
    return webhook;
  }

  /** Its deliveries go with it, sent or not. */
  async remove(id: string): Promise<void> {
    const deleted = await this.webhooks.deleteOne({ _id: id });
    if (deleted.deletedCount === 0) throw notFound('webhook', id);
    await this.deliveries.deleteMany({ webhookId: id });
    await this.audit.record({ action: 'delete', objectType: 'webhook', objectId: id });
  }

  /** Newest first. */
  async deliveriesOf(id: string, page: PageQuery): Promise<WebhookDeliveryDoc[]> {
    await this.get(id);
    return this.deliveries.find({ webhookId: id }).sort({ createdAt: -1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
  }

  /** The webhooks that hear this event: the workspace's, and those of the exports it concerns. */
  async listening(event: WebhookEvent, exportIds: string[]): Promise<WebhookDoc[]> {
    return this.webhooks.find({ events: event, $or: [{ exportId: null }, { exportId: { $in: exportIds } }] }).lean();
  }

  /** One delivery per webhook, queued and sent at once; an occurrence already queued for a webhook is not queued again. */
  async enqueue(webhooks: WebhookDoc[], event: WebhookEvent, scope: EventScope, data: (webhook: WebhookDoc) => Record<string, unknown>): Promise<void> {
    if (webhooks.length === 0) return;
    const now = new Date();
    for (const webhook of webhooks) {
      const id = createHash('sha256').update(`${webhook._id}\n${event}\n${scope.occurrence}`).digest('hex').slice(0, 32);
      const body: WebhookBody = { id, event, occurredAt: now.toISOString(), data: data(webhook) };
      try {
        await this.deliveries.create({ _id: id, webhookId: webhook._id, event, body: JSON.stringify(body), status: 'pending', attempts: 0, nextAttemptAt: now });
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
    }
    this.deliverer.kick();
  }
}
