import { Logger } from '@nestjs/common';
import { withIds } from '@audience-sync/runtime';
import { BackoffOptions, backoffDelay, sleep } from './backoff';
import { Handling } from './error-table';
import { ReauthenticationRequired, RegistryClient } from './registry-client';
import { AuthenticationLost, TermsNotAccepted } from './sink-runner';
import { apiMetrics } from './sink-metrics';

/**
 * A failed answer, handled as its destination's error table says. The loop throws it to the
 * destination's delivery for every action it does not take itself (`fail`, `audience-gone`, the
 * destination's own). Its message is the platform's, redacted by the destination.
 */
export class ApiError<E = unknown, A extends string = string> extends Error {
  constructor(
    message: string,
    readonly errors: readonly E[],
    readonly handling: Handling<A>,
    /** Names the answer in logs and messages, without personal data: `error 2`, `HTTP 500 (TrackingId …)`. */
    readonly summary: string,
    /** The platform's id of the answer (`TrackingId …`), when it gives one. */
    readonly reference?: string,
  ) {
    super(message);
  }

  get action(): A {
    return this.handling.action;
  }
}

/** What the loop needs to know of one platform's API. */
export interface ApiPlatform<A extends string> {
  /** Named in messages: `Facebook`, `Microsoft Advertising`. */
  readonly name: string;
  /** The failure an answer carries (classified by the destination's error table), or undefined when it succeeded. */
  failure(response: Response, body: unknown): ApiError<unknown, A> | undefined;
  /** How long to wait out a rate limit before attempt `attempt + 1`. */
  throttleWait(response: Response, attempt: number): number;
}

export interface RetryOptions {
  /** Attempts a call gets for transient failures (`retry`) before its batch is left to be fetched again. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** How long one attempt may take. */
  timeoutMs?: number;
}

/** How the loop waits between attempts; tests pass one that records the waits instead of taking them. */
export type Wait = (ms: number, signal: AbortSignal) => Promise<void>;
export type Heartbeat = () => Promise<void>;
/** Sends one attempt with an access token; `signal` also ends at the attempt's timeout. */
export type Send = (token: string, signal: AbortSignal) => Promise<Response>;

/**
 * The one call loop both sinks use: an access token from the registry for each attempt, a timeout
 * per attempt, and the answer handled as the destination's error table says: transient failures
 * (and network errors) retry with jittered backoff up to `maxAttempts`, then throw a plain Error so
 * the batch is fetched again; rate limits wait (with a heartbeat) as long as the platform says, not
 * counted; `refresh-token` fetches a fresh token once, then acts as `re-authenticate`, which reports
 * the credentials to the registry (it flags the connection) and throws AuthenticationLost; `terms`
 * throws TermsNotAccepted (the runner fails the run and tells the registry).
 */
export class ApiClient<A extends string> {
  private readonly logger: Logger;

  constructor(
    private readonly platform: ApiPlatform<A>,
    private readonly registry: Pick<RegistryClient, 'accessToken' | 'reportAuthFailure'>,
    private readonly options: RetryOptions,
    private readonly wait: Wait = sleep,
  ) {
    this.logger = new Logger(`${ApiClient.name}(${platform.name})`);
  }

  async call<T>(connectionId: string, send: Send, signal: AbortSignal, heartbeat: Heartbeat): Promise<T> {
    let refreshed = false;
    // Forced only for the call right after a refused token: later retries use the refreshed one.
    let forceRefresh = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.token(connectionId, forceRefresh);
      forceRefresh = false;
      let response: Response;
      try {
        response = await send(token, AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 60_000)]));
      } catch (error) {
        if (signal.aborted) throw error;
        await this.retryAfter(attempt, `network: ${(error as Error).message}`, signal, heartbeat);
        continue;
      }
      const body: unknown = await response.json().catch(() => ({}));
      const failure = this.platform.failure(response, body);
      if (!failure) return body as T;
      apiMetrics.errors.inc({ platform: this.platform.name, code: errorCode(failure, response.status), action: failure.action });
      switch (failure.action) {
        case 'refresh-token':
          if (!refreshed) {
            refreshed = forceRefresh = true;
            continue;
          }
          throw await this.credentialsRejected(connectionId, failure);
        case 're-authenticate':
          throw await this.credentialsRejected(connectionId, failure);
        case 'terms':
          this.logger.warn(withIds({ connectionId }, `answered ${failure.summary}: the account has not accepted the platform's terms`));
          throw new TermsNotAccepted(termsMessage(this.platform.name, failure.handling));
        case 'throttle': {
          const ms = this.platform.throttleWait(response, attempt);
          this.logger.warn(withIds({ connectionId }, `rate limited (${failure.summary}); waiting ${Math.round(ms / 1000)} s`));
          apiMetrics.rateLimitWait.inc({ platform: this.platform.name }, ms / 1000);
          await heartbeat().catch(() => undefined);
          await this.wait(ms, signal);
          continue;
        }
        case 'retry':
          await this.retryAfter(attempt, failure.summary, signal, heartbeat);
          continue;
        default:
          this.logger.warn(withIds({ connectionId }, `answered ${failure.summary}: ${failure.action}`));
          throw failure;
      }
    }
  }

  /** Waits before attempt `attempt + 1` with jittered backoff; throws (the batch is retried later) once the attempts are spent. */
  async retryAfter(attempt: number, what: string, signal: AbortSignal, heartbeat: Heartbeat): Promise<void> {
    if (attempt + 1 >= this.options.maxAttempts) throw new Error(`${this.platform.name} kept failing (${what}) after ${attempt + 1} attempts; the batch will be retried`);
    apiMetrics.retries.inc({ platform: this.platform.name });
    await heartbeat().catch(() => undefined);
    await this.wait(backoffDelay(attempt, this.options.backoff), signal);
  }

  private async token(connectionId: string, forceRefresh: boolean): Promise<string> {
    try {
      return await this.registry.accessToken(connectionId, forceRefresh);
    } catch (error) {
      if (error instanceof ReauthenticationRequired) throw new AuthenticationLost(error.message);
      throw error;
    }
  }

  private async credentialsRejected(connectionId: string, failure: ApiError<unknown, A>): Promise<AuthenticationLost> {
    await this.registry.reportAuthFailure(connectionId, failure.handling.message ?? `${this.platform.name} rejected the access token`);
    return new AuthenticationLost(`connection ${connectionId}: ${this.platform.name} rejected the credentials${failure.reference ? ` (${failure.reference})` : ''}`);
  }
}

/** The message of a `terms` rule, which should say what to accept where; a rule without one still says what is wrong. */
export function termsMessage(platform: string, handling: Handling<string>): string {
  return handling.message ?? `${platform}: the account has not accepted the platform's terms; accept them with the platform`;
}

/**
 * A bounded label for an answer: the platform's numeric error code where it gives one (Facebook's
 * `code`, Microsoft's `Code`), else its HTTP status. Never its message: that may quote a value.
 */
function errorCode(failure: ApiError, status: number): string {
  const first = failure.errors[0] as { code?: unknown; Code?: unknown } | undefined;
  const code = first?.code ?? first?.Code;
  return typeof code === 'number' ? String(code) : `http-${status}`;
}
