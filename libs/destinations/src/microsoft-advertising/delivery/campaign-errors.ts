import { ErrorAction, ErrorTable } from '@audience-sync/delivery';

/** Besides the shared actions, AddAudiences' own: the list was made meanwhile, look it up. */
export type CampaignAction = ErrorAction<'duplicate-name'>;

const TERMS = 'Microsoft Advertising: the Customer Match terms are not accepted for this account; accept the Customer Match terms in Microsoft Advertising (Tools > Audiences), then confirm on the connection that they are accepted, which runs its exports again';

/**
 * Campaign Management fault codes → what the sink does; the first rule any error of an answer
 * matches wins. An answer no rule matches fails the run with the platform's (redacted) message.
 * The same table reads per-item PartialErrors: an item whose error retries or throttles is sent
 * again, any other is refused (counted as invalid). Sources, on learn.microsoft.com/advertising:
 * "Error codes" is guides/operation-error-codes (code and name), "Errors guide" is
 * guides/handle-service-errors-exceptions (what to do), "CustomerListUserData" is
 * campaign-management-service/customerlistuserdata; "notes" is
 * ../shared/reference/microsoft-advertising-customer-match.md, "Errors", where no Microsoft page says it.
 */
export const campaignErrors: ErrorTable<CampaignAction> = [
  { code: 109, action: 'refresh-token', message: 'Microsoft Advertising rejected the access token after a refresh' }, // AuthenticationTokenExpired, "renew it or obtain a new token": Error codes
  { code: 105, action: 'refresh-token', message: 'Microsoft Advertising rejected the access token after a refresh' }, // InvalidCredentials, an incorrect access token: Error codes, Errors guide; refresh once, then re-authorise: notes
  { code: 117, action: 'throttle' }, // CallRateExceeded, "resubmit the request under the limit after waiting 60 seconds": Errors guide
  { status: 429, action: 'throttle' }, // 117 may arrive as HTTP 429 alone: notes
  { status: 'server-error', action: 'retry' }, // a 5xx is "not in and of itself representative of an actionable code": Errors guide
  { code: 0, action: 'retry' }, // InternalError, "a temporary system issue … try again later": Errors guide
  { code: 8003, action: 'terms', message: TERMS }, // CustomerListTermsAndConditionsNotAccepted, "not yet Accepted in the Microsoft Advertising web UI": Error codes
  { code: 3913, action: 'terms', message: TERMS }, // TermsAndConditionsNotAccepted, the answer to AcceptCustomerMatchTerm false: CustomerListUserData
  { code: 8000, action: 'audience-gone' }, // InvalidCustomerListId: Error codes; the list is gone: notes
  { code: 4835, action: 'audience-gone' }, // InvalidAudienceId: Error codes; the list is gone: notes
  { code: 4853, action: 'duplicate-name' }, // DuplicateAudienceName, "Audience name is duplicate": Error codes; look the audience up instead: notes
];
