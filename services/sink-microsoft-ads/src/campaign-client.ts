import { Logger } from '@nestjs/common';
import { AuthenticationLost, backoffDelay, ReauthenticationRequired, redact, RegistryClient, sleep } from '@audience-sync/delivery';
import { SinkMicrosoftConfig } from './config';

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

/** A fault the caller interprets (terms, unknown audience); its message is redacted. */
export class CampaignApiError extends Error {
  constructor(readonly errors: AdApiError[]) {
    super(errors.map((e) => `${e.Code} ${e.ErrorCode ?? ''}: ${redact(e.Message ?? '')}`).join('; '));
  }

  has(code: number): boolean {
    return this.errors.some((e) => e.Code === code);
  }
}

export interface Account {
  connectionId: string;
  customerId: string;
  accountId: string;
}

/**
 * Campaign Management REST calls with the reliability rules: 109/105 refresh the token through
 * the registry and retry once, then flag the connection; 117 waits out the minute; 0 and 5xx
 * retry with jittered backoff. Every response's TrackingId is logged on failures.
 */
export class CampaignClient {
  private readonly logger = new Logger(CampaignClient.name);

  constructor(
    private readonly config: SinkMicrosoftConfig,
    private readonly registry: RegistryClient,
    /** How the client waits (117, backoff); tests record the waits instead of spending them. */
    private readonly pause: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
  ) {}

  async post<T>(account: Account, path: string, body: unknown, signal: AbortSignal, heartbeat: () => Promise<void>): Promise<T> {
    let refreshed = false;
    // Forced only for the call right after a refused token: later retries use the refreshed one.
    let forceRefresh = false;
    for (let attempt = 0; ; attempt += 1) {
      let token: string;
      try {
        token = await this.registry.accessToken(account.connectionId, forceRefresh);
        forceRefresh = false;
      } catch (error) {
        if (error instanceof ReauthenticationRequired) throw new AuthenticationLost(error.message);
        throw error;
      }
      let response: Response;
      try {
        response = await fetch(`${this.config.MICROSOFT_ADS_BASE_URL}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}`, DeveloperToken: this.config.MICROSOFT_DEVELOPER_TOKEN, CustomerId: account.customerId, CustomerAccountId: account.accountId },
          body: JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(60000)]),
        });
      } catch (error) {
        if (signal.aborted) throw error;
        await this.retryAfter(attempt, `network: ${(error as Error).message}`, signal, heartbeat);
        continue;
      }
      const json = (await response.json().catch(() => ({}))) as T & Fault;
      if (response.ok) return json;
      const errors = [...(json.Errors ?? []), ...(json.OperationErrors ?? []), ...(json.BatchErrors ?? [])];
      const codes = new Set(errors.map((e) => e.Code));
      const tracking = response.headers.get('trackingid') ?? 'none';
      if (codes.has(109) || codes.has(105)) {
        if (!refreshed) {
          refreshed = true;
          forceRefresh = true;
          continue;
        }
        await this.registry.reportAuthFailure(account.connectionId, 'Microsoft Advertising rejected the access token after a refresh');
        throw new AuthenticationLost(`connection ${account.connectionId}: Microsoft Advertising rejected the credentials (TrackingId ${tracking})`);
      }
      if (codes.has(117) || response.status === 429) {
        this.logger.warn(`117 CallRateExceeded for customer ${account.customerId} (TrackingId ${tracking}); waiting ${this.config.MICROSOFT_RATE_LIMIT_WAIT_MS} ms`);
        await heartbeat().catch(() => undefined);
        await this.pause(this.config.MICROSOFT_RATE_LIMIT_WAIT_MS, signal);
        continue;
      }
      if (response.status >= 500 || codes.has(0)) {
        await this.retryAfter(attempt, `HTTP ${response.status} (TrackingId ${tracking})`, signal, heartbeat);
        continue;
      }
      this.logger.warn(`Microsoft Advertising fault (TrackingId ${tracking}): ${[...codes].join(', ')}`);
      throw new CampaignApiError(errors.length > 0 ? errors : [{ Code: response.status, Message: `HTTP ${response.status}` }]);
    }
  }

  /** Waits before attempt `attempt + 1` with jittered backoff; throws (the batch is retried later) once the attempts are spent. */
  async retryAfter(attempt: number, what: string, signal: AbortSignal, heartbeat: () => Promise<void>): Promise<void> {
    if (attempt + 1 >= this.config.SINK_MAX_ATTEMPTS) throw new Error(`Microsoft Advertising kept failing (${what}) after ${attempt + 1} attempts; the batch will be retried`);
    await heartbeat().catch(() => undefined);
    await this.pause(backoffDelay(attempt, { baseMs: this.config.SINK_BACKOFF_BASE_MS, maxMs: this.config.SINK_BACKOFF_MAX_MS }), signal);
  }
}
