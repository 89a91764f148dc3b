import { AudienceSize } from '@audience-sync/contracts';
import { redact } from '@audience-sync/delivery';

/** The fields the read-back asks GET /{audience-id} for. */
export const SIZE_FIELDS = 'approximate_count_lower_bound,approximate_count_upper_bound,operation_status,delivery_status';

interface Status {
  code?: number;
  description?: string;
}

/** What Graph answers for SIZE_FIELDS. */
export interface SizeAnswer {
  approximate_count_lower_bound?: number;
  approximate_count_upper_bound?: number;
  operation_status?: Status;
  delivery_status?: Status;
}

/**
 * operation_status codes (Custom Audience reference,
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience, and the notes,
 * ../shared/reference/facebook-custom-audiences.md "Audiences"): 200 normal; 414 a replace in
 * progress and 441 the audience being populated, so the counts are not yet those of the latest
 * upload; 415 replace failed, 471 flagged under Meta's terms (since September 2025), 500 error: the
 * audience cannot serve as it is.
 */
const PROCESSING = new Set([414, 441]);
const UNUSABLE = new Set([415, 471, 500]);

/**
 * The run's reading of Graph's answer. delivery_status (same reference) says whether ads can use it:
 * 200 ready, 300 "smaller than it should be" (inactive), 400 and above not usable. A bound of -1
 * (Meta's value for an inactive audience) is no bound. Meta computes the counts after matching and
 * updates them over up to 24 hours, so a size read right after an upload may lag.
 */
export function sizeOf(answer: SizeAnswer): Omit<AudienceSize, 'checkedAt'> {
  const bound = (n: number | undefined) => (typeof n === 'number' && n >= 0 ? Math.round(n) : undefined);
  const [lower, upper] = [bound(answer.approximate_count_lower_bound), bound(answer.approximate_count_upper_bound)];
  const operation = answer.operation_status?.code;
  const delivery = answer.delivery_status?.code;
  let status: AudienceSize['status'];
  if (operation !== undefined && PROCESSING.has(operation)) status = 'processing';
  else if ((operation !== undefined && UNUSABLE.has(operation)) || (delivery !== undefined && delivery >= 400)) status = 'unusable';
  else if (delivery === 300) status = 'too-small';
  else if (operation === 200) status = 'ready';
  const words = [answer.operation_status, answer.delivery_status].filter((s): s is Status => Boolean(s?.description)).map((s) => `${s.code} ${s.description}`);
  return {
    ...(lower !== undefined ? { sizeLowerBound: lower } : {}),
    ...(upper !== undefined ? { sizeUpperBound: upper } : {}),
    ...(status ? { status } : {}),
    ...(words.length > 0 ? { detail: redact(`Facebook: ${words.join('; ')}`) } : {}),
  };
}
