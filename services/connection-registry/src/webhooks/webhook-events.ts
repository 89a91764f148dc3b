import { createHmac } from 'node:crypto';

export const webhookEvents = ['run.failed', 'run.invalid-share', 'connection.needs-reauthentication', 'connection.terms-not-accepted', 'connection.token-expiring'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

/** What a receiver gets: ids, counts and messages — never personal data or secrets. */
export interface WebhookBody {
  /** The delivery's id, the same on every attempt: a receiver that saw it already can ignore a repeat. */
  id: string;
  event: WebhookEvent;
  occurredAt: string;
  data: Record<string, unknown>;
}

export const WEBHOOK_HEADERS = {
  event: 'X-AudienceSync-Event',
  delivery: 'X-AudienceSync-Delivery',
  timestamp: 'X-AudienceSync-Timestamp',
  signature: 'X-AudienceSync-Signature',
} as const;

/**
 * `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the webhook's secret. The timestamp
 * (Unix seconds, fresh on every attempt) is signed too, so a receiver can refuse old replays.
 */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
