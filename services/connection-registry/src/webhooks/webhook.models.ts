import { Schema } from 'mongoose';
import { SealedSecret } from '../crypto/credential-cipher';
import type { WebhookEvent } from './webhook-events';

export const WebhookModels = { webhook: 'Webhook', delivery: 'WebhookDelivery' } as const;

/** A receiver of alerts for the workspace (the registry), or for one export when `exportId` is set. */
export interface WebhookDoc {
  _id: string;
  url: string;
  events: WebhookEvent[];
  exportId: string | null;
  /** run.invalid-share fires when invalid / (sent + invalid) exceeds this share (0–1). */
  invalidShareThreshold: number;
  /** Sealed with the webhook's id as associated data; shown once, when created. */
  secret: SealedSecret;
  createdBy: string;
  createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';

/**
 * One event for one webhook and its attempts. Stored, so a restart carries on with the retries. The
 * `_id` is derived from the webhook, the event and what it is about, so an event noticed twice (a
 * replayed run report, the hourly expiry check) is inserted once: the unique `_id` is the guard.
 */
export interface WebhookDeliveryDoc {
  _id: string;
  webhookId: string;
  event: WebhookEvent;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  /** When it is due; while `sending`, when the claim lapses (the sender died) and another may take it. */
  nextAttemptAt: Date | null;
  /** Who is sending it now: the one whose claim the document holds after claiming. */
  claim: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const sealed = new Schema<SealedSecret>({ keyId: String, iv: String, tag: String, data: String }, { _id: false });

export const webhookSchema = new Schema<WebhookDoc>(
  {
    _id: String,
    url: { type: String, required: true },
    events: { type: [String], required: true },
    exportId: { type: String, default: null },
    invalidShareThreshold: { type: Number, required: true },
    secret: { type: sealed, required: true },
    createdBy: String,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// No TTL index (FerretDB 1.24 has none): deliveries go with their webhook.
export const webhookDeliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: String,
    webhookId: { type: String, required: true },
    event: { type: String, required: true },
    body: { type: String, required: true },
    status: { type: String, required: true },
    attempts: { type: Number, required: true },
    nextAttemptAt: { type: Date, default: null },
    claim: { type: String, default: null },
    lastStatusCode: { type: Number, default: null },
    lastError: { type: String, default: null },
    deliveredAt: { type: Date, default: null },
  },
  { collection: 'webhookdeliveries', timestamps: true, versionKey: false },
);
webhookDeliverySchema.index({ status: 1, nextAttemptAt: 1 });
webhookDeliverySchema.index({ webhookId: 1, createdAt: -1 });
