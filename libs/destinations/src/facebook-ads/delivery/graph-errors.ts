import { ErrorAction, ErrorTable } from '@audience-sync/delivery';

/** Besides the shared actions, the replace session's own: open a new session, or wait for another replace. */
export type GraphAction = ErrorAction<'session-closed' | 'session-busy'>;

const TERMS = 'Facebook: the custom audience terms are not accepted for this ad account; accept them in Facebook Ads Manager, then run the export again';

/**
 * Graph API answers → what the sink does; the first rule an answer matches wins (so a 5xx retries
 * before the rules its delivery interprets). An answer no rule matches fails the run with Graph's
 * (redacted) message. "Notes" is ../shared/reference/facebook-custom-audiences.md, "Errors and
 * limits" and "Replace rules"; "Graph errors" is Meta's Graph API / Marketing API error reference.
 */
export const graphErrors: ErrorTable<GraphAction> = [
  { code: 190, action: 're-authenticate', message: 'Facebook rejected the access token (expired or revoked)' }, // token invalid or expired (458, 460, 463, 467): notes
  { code: 200, subcode: 1870090, action: 'fail', message: TERMS }, // custom audience terms not accepted: notes
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
  { code: 2650, subcode: 1870158, action: 'session-closed' }, // replace session timed out (90 minutes): notes
  { code: 2650, subcode: 1870159, action: 'session-closed' }, // replace session already finished: notes
  { code: 2650, subcode: 1870145, action: 'session-busy' }, // another replace is in progress: notes
];
