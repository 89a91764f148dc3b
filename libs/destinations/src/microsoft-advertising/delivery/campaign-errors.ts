import { ErrorAction, ErrorTable } from '@audience-sync/delivery';

/** Besides the shared actions, AddAudiences' own: the list was made meanwhile, look it up. */
export type CampaignAction = ErrorAction<'duplicate-name'>;

const TERMS = 'Microsoft Advertising: the Customer Match terms are not accepted for this account; accept the Customer Match terms in Microsoft Advertising (Tools > Audiences), then run the export again';

/**
 * Campaign Management fault codes → what the sink does; the first rule any error of an answer
 * matches wins. An answer no rule matches fails the run with the platform's (redacted) message.
 * The same table reads per-item PartialErrors: an item whose error retries or throttles is sent
 * again, any other is refused (counted as invalid). "Notes" is
 * ../shared/reference/microsoft-advertising-customer-match.md, "Errors"; "Bing Ads errors" is
 * Microsoft's "Bing Ads API Operation Error Codes" page.
 */
export const campaignErrors: ErrorTable<CampaignAction> = [
  { code: 109, action: 'refresh-token', message: 'Microsoft Advertising rejected the access token after a refresh' }, // AuthenticationTokenExpired: refresh, retry: notes
  { code: 105, action: 'refresh-token', message: 'Microsoft Advertising rejected the access token after a refresh' }, // InvalidCredentials: refresh once, then re-authorise: notes
  { code: 117, action: 'throttle' }, // CallRateExceeded, a sliding 60 s window per customer: notes
  { status: 429, action: 'throttle' }, // 117 may arrive as HTTP 429 alone: notes
  { status: 'server-error', action: 'retry' }, // a 5xx fault: Bing Ads errors
  { code: 0, action: 'retry' }, // InternalError: retry with backoff: notes
  { code: 8003, action: 'fail', message: TERMS }, // CustomerListTermsAndConditionsNotAccepted: notes
  { code: 8000, action: 'audience-gone' }, // InvalidCustomerListId, the list is gone: notes
  { code: 4835, action: 'audience-gone' }, // InvalidAudienceId, the list is gone: notes
  { code: 4853, action: 'duplicate-name' }, // DuplicateAudienceName: look the audience up instead: notes
];
