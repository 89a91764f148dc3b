import { ErrorAction, ErrorTable } from '@audience-sync/delivery';

/** Besides the shared actions, the replace session's own: open a new session, or wait for another replace. */
export type GraphAction = ErrorAction<'session-closed' | 'session-busy'>;

const TERMS = 'Facebook: the custom audience terms are not accepted for this ad account; accept them in Facebook Ads Manager, then confirm on the connection that they are accepted, which runs its exports again';

/**
 * Graph API answers → what the sink does; the first rule an answer matches wins (so a 5xx retries
 * before the rules its delivery interprets). An answer no rule matches fails the run with Graph's
 * (redacted) message. "Notes" is ../shared/reference/facebook-custom-audiences.md, "Errors and
 * limits" and "Replace rules"; "Graph errors" is Meta's Graph API / Marketing API error reference.
 */
export const graphErrors: ErrorTable<GraphAction> = [
  { code: 190, action: 're-authenticate', message: 'Facebook rejected the access token (expired or revoked)' }, // token invalid or expired (458, 460, 463, 467): notes
  { code: 200, subcode: 1870090, action: 'terms', message: TERMS }, // custom audience terms not accepted: notes
  { code: 4, action: 'throttle' }, // application request limit: notes
  { code: 17, action: 'throttle' }, // user request limit: notes
  { code: 32, action: 'throttle' }, // page / custom request limit: notes
  { code: 613, action: 'throttle' }, // custom rate limit: notes
  { code: 80003, action: 'throttle' }, // custom-audience business-use-case limit (subcode 2446079): notes
  { code: 1, action: 'retry' }, // unknown error, transient: notes
  { code: 2, action: 'retry' }, // temporary service error (also a 5xx without an error body): notes
  { status: 'server-error', action: 'retry' }, // any other 5xx: Graph errors ("retry later")
  { code: 100, subcode: 33, action: 'audience-gone' }, // object does not exist or cannot be loaded due to missing permissions: Graph errors
  { code: 1487301, action: 'audience-gone' }, // custom audience not shared with / unavailable to the ad account: Marketing API errors
  { subcode: 1487301, action: 'audience-gone' }, // the same, as a subcode
  { code: 1487366, action: 'audience-gone' }, // custom audience deleted: Marketing API errors
  { subcode: 1487366, action: 'audience-gone' }, // the same, as a subcode
  // Replace sessions (POST /{id}/usersreplace). Meta documents one code for this edge, 2650 "Failed to
  // update the custom audience" (usersreplace reference, Error Codes:
  // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/custom-audience/usersreplace),
  // and operation_status 414 "Replace in progress" on the audience (Custom Audience reference). Of the
  // replace subcodes only 1870147 appears in public client code; 1870145 (another replace), 1870158 (timed
  // out) and 1870159 (finished) come from the notes alone and no public source confirms them, so the
  // documented code and its wording decide: a busy audience is waited for, a session that cannot go on is
  // opened afresh at batch 1 (else the run fails with "run it again", the audience left as it was).
  { code: 2650, subcode: 1870147, action: 'session-closed' }, // "Invalid Upload Batch for Replace", first batch_seq not detected: public client code, libs/azure/functions/blueprints/esquire/audiences/egress/meta/activities/forceEndSession.py
  { code: 2650, wording: /replace\b.*\bin progress/i, action: 'session-busy' }, // another replace runs on the audience (unconfirmed 1870145): Custom Audience reference, operation_status 414 (https://developers.facebook.com/docs/marketing-api/reference/custom-audience)
  { code: 2650, wording: /\bsession\b/i, action: 'session-closed' }, // the upload session cannot go on (unconfirmed 1870158, 1870159): usersreplace reference, `session` (closed by last_batch_flag)
];
