import { ApiClient, ApiError, backoffDelay, classify, Heartbeat, redact, RegistryClient, retryOptions, sleep, Wait } from '@audience-sync/delivery';
import { appSecretProof } from '../graph';
import { FacebookDeliveryConfig } from './config';
import { GraphAction, graphErrors } from './graph-errors';

export interface GraphError {
  code?: number;
  error_subcode?: number;
  message?: string;
}

/** A Graph error the delivery interprets (see graphErrors); its message is redacted. */
export class GraphApiError extends ApiError<GraphError, GraphAction> {
  constructor(
    readonly error: GraphError,
    status: number,
  ) {
    super(
      `Facebook answered error ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ''}: ${redact(error.message ?? 'no message')}`,
      [error],
      classify(graphErrors, [{ code: error.code, subcode: error.error_subcode, message: error.message }], status),
      `error ${error.code}`,
    );
  }
}

/** Graph API calls through the shared loop, handled as graphErrors says. */
export class GraphClient {
  private readonly api: ApiClient<GraphAction>;

  constructor(
    private readonly config: FacebookDeliveryConfig,
    registry: RegistryClient,
    /** How the client (and the replace session waiting out another replace) waits; tests pass one that records the waits instead of taking them. */
    readonly wait: Wait = sleep,
  ) {
    this.api = new ApiClient<GraphAction>(
      {
        name: 'Facebook',
        failure: (response, body) => {
          const json = body as { error?: GraphError };
          if (response.ok && !json.error) return undefined;
          return new GraphApiError(json.error ?? { code: response.status >= 500 ? 2 : undefined, message: `HTTP ${response.status}` }, response.status);
        },
        throttleWait: (response, attempt) => this.rateLimitWait(response.headers.get('x-business-use-case-usage'), attempt),
      },
      registry,
      retryOptions(config),
      wait,
    );
  }

  call<T>(connectionId: string, method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, unknown>, signal: AbortSignal, heartbeat: Heartbeat): Promise<T> {
    return this.api.call<T>(
      connectionId,
      (token, attemptSignal) => {
        const body = { ...params, ...(this.config.FACEBOOK_APP_SECRET ? { appsecret_proof: appSecretProof(this.config.FACEBOOK_APP_SECRET, token) } : {}) };
        const url = `${this.config.FACEBOOK_GRAPH_BASE_URL}${path}${method === 'GET' ? `?${new URLSearchParams(body as Record<string, string>)}` : ''}`;
        return fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          body: method === 'GET' ? undefined : JSON.stringify(body),
          signal: attemptSignal,
        });
      },
      signal,
      heartbeat,
    );
  }

  /** The usage header's estimate (minutes) when there is one, else backoff; bounded by configuration. */
  private rateLimitWait(header: string | null, attempt: number): number {
    let minutes = 0;
    try {
      for (const entries of Object.values(JSON.parse(header ?? '{}') as Record<string, { estimated_time_to_regain_access?: number }[]>)) {
        for (const e of entries) minutes = Math.max(minutes, e.estimated_time_to_regain_access ?? 0);
      }
    } catch {
      minutes = 0;
    }
    const { backoff } = retryOptions(this.config);
    const floor = backoffDelay(attempt, backoff) + backoff.baseMs;
    return Math.min(this.config.FACEBOOK_RATE_LIMIT_MAX_WAIT_MS, Math.max(floor, minutes * 60_000));
  }
}
