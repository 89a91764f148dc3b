import { ApiClient, ApiError, classify, Heartbeat, redact, RegistryClient, retryOptions, sleep, Wait } from '@audience-sync/delivery';
import { CampaignAction, campaignErrors } from './campaign-errors';
import { MicrosoftDeliveryConfig } from './config';

export interface AdApiError {
  Code: number;
  ErrorCode?: string;
  Message?: string;
  Index?: number | null;
}

interface Fault {
  Errors?: AdApiError[];
  OperationErrors?: AdApiError[];
  BatchErrors?: AdApiError[];
}

/** How campaignErrors handles these errors (of one answer, or one item's). */
export function campaignHandling(errors: readonly AdApiError[], status = 200) {
  return classify(campaignErrors, errors.map((e) => ({ code: e.Code })), status);
}

/** A fault the delivery interprets (see campaignErrors); its message is redacted. */
export class CampaignApiError extends ApiError<AdApiError, CampaignAction> {
  constructor(errors: AdApiError[], status = 400, trackingId = 'none') {
    super(errors.map((e) => `${e.Code} ${e.ErrorCode ?? ''}: ${redact(e.Message ?? '')}`).join('; '), errors, campaignHandling(errors, status), `HTTP ${status} (TrackingId ${trackingId})`, `TrackingId ${trackingId}`);
  }
}

export interface Account {
  connectionId: string;
  customerId: string;
  accountId: string;
}

/** Campaign Management REST calls through the shared loop, handled as campaignErrors says. */
export class CampaignClient {
  private readonly api: ApiClient<CampaignAction>;

  constructor(
    private readonly config: MicrosoftDeliveryConfig,
    registry: RegistryClient,
    /** How the client waits (117, backoff); tests record the waits instead of spending them. */
    pause: Wait = sleep,
  ) {
    this.api = new ApiClient<CampaignAction>(
      {
        name: 'Microsoft Advertising',
        failure: (response, body) => {
          if (response.ok) return undefined;
          const fault = body as Fault;
          const errors = [...(fault.Errors ?? []), ...(fault.OperationErrors ?? []), ...(fault.BatchErrors ?? [])];
          return new CampaignApiError(errors.length > 0 ? errors : [{ Code: response.status, Message: `HTTP ${response.status}` }], response.status, response.headers.get('trackingid') ?? 'none');
        },
        throttleWait: () => this.config.MICROSOFT_RATE_LIMIT_WAIT_MS,
      },
      registry,
      retryOptions(config),
      pause,
    );
  }

  post<T>(account: Account, path: string, body: unknown, signal: AbortSignal, heartbeat: Heartbeat): Promise<T> {
    return this.api.call<T>(
      account.connectionId,
      (token, attemptSignal) =>
        fetch(`${this.config.MICROSOFT_ADS_BASE_URL}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}`, DeveloperToken: this.config.MICROSOFT_DEVELOPER_TOKEN, CustomerId: account.customerId, CustomerAccountId: account.accountId },
          body: JSON.stringify(body),
          signal: attemptSignal,
        }),
      signal,
      heartbeat,
    );
  }

  /** Waits before attempt `attempt + 1` with jittered backoff; throws (the batch is retried later) once the attempts are spent. */
  retryAfter(attempt: number, what: string, signal: AbortSignal, heartbeat: Heartbeat): Promise<void> {
    return this.api.retryAfter(attempt, what, signal, heartbeat);
  }
}
