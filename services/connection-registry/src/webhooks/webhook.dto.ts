import { z } from 'zod';
import { WebhookDeliveryDoc, WebhookDoc } from './webhook.models';
import { webhookEvents } from './webhook-events';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, so the signed body and the secret's work are not readable in transit; plain http only to this machine, for tests and development. */
const webhookUrl = z
  .url({ error: 'url must be an absolute URL, e.g. https://alerts.example.com/audience-sync' })
  .max(2000)
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  }, 'url must use https (http is accepted only for 127.0.0.1 or localhost, for tests and development)');

export const createWebhookBody = z
  .object({
    url: webhookUrl,
    events: z.array(z.enum(webhookEvents)).min(1, `name at least one event: ${webhookEvents.join(', ')}`).refine((events) => new Set(events).size === events.length, 'an event is listed twice'),
    exportId: z.string().min(1).max(200).optional(),
    invalidShareThreshold: z.number().gt(0).lt(1).default(0.2).describe('run.invalid-share fires above this share of invalid rows, e.g. 0.2 for 20 %'),
  })
  .strict();
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

export const webhookView = (w: WebhookDoc) => ({
  id: w._id,
  url: w.url,
  events: w.events,
  exportId: w.exportId,
  invalidShareThreshold: w.invalidShareThreshold,
  createdBy: w.createdBy,
  createdAt: w.createdAt,
});

export const deliveryView = (d: WebhookDeliveryDoc) => ({
  id: d._id,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
  deliveredAt: d.deliveredAt,
  createdAt: d.createdAt,
});
