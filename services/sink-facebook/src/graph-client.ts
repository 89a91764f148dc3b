import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AuthenticationLost, backoffDelay, PermanentFailure, ReauthenticationRequired, redact, RegistryClient, sleep } from '@audience-sync/delivery';
import { SinkFacebookConfig } from './config';

export interface GraphError {
  code?: number;
  error_subcode?: number;
  message?: string;
}

/** An error the caller may want to interpret (replace-session rules); its message is redacted. */
export class GraphApiError extends Error {
  constructor(readonly error: GraphError) {
    super(`Facebook answered error ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ''}: ${redact(error.message ?? 'no message')}`);
  }
}

const RATE_LIMITED = new Set([4, 17, 32, 613, 80003]);
const TRANSIENT = new Set([1, 2]);

/**
 * Graph API calls with the reliability rules: rate limits wait (as long as the usage header says,
 * within bounds) and retry; transient errors retry with jittered backoff; 190 flags the connection;
 * 200/1870090 fails the run asking to accept the terms.
 */
export class GraphClient {
  private readonly logger = new Logger(GraphClient.name);

  constructor(
    private readonly config: SinkFacebookConfig,
    private readonly registry: RegistryClient,
    /** How the client waits between attempts; tests pass one that records the waits instead of taking them. */
    private readonly wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
  ) {}

  async call<T>(connectionId: string, method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, unknown>, signal: AbortSignal, heartbeat: () => Promise<void>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      let token: string;
      try {
        token = await this.registry.accessToken(connectionId);
      } catch (error) {
        if (error instanceof ReauthenticationRequired) throw new AuthenticationLost(error.message);
        throw error;
      }
      const body = { ...params, ...(this.config.FACEBOOK_APP_SECRET ? { appsecret_proof: createHmac('sha256', this.config.FACEBOOK_APP_SECRET).update(token).digest('hex') } : {}) };
      let response: Response | undefined;
      try {
        const url = `${this.config.FACEBOOK_GRAPH_BASE_URL}${path}${method === 'GET' ? `?${new URLSearchParams(body as Record<string, string>)}` : ''}`;
        response = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          body: method === 'GET' ? undefined : JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(60000)]),
        });
      } catch (error) {
        if (signal.aborted) throw error;
        await this.retryAfter(attempt, `network: ${(error as Error).message}`, signal, heartbeat);
        continue;
      }
      const json = (await response.json().catch(() => ({}))) as { error?: GraphError } & T;
      if (response.ok && !json.error) return json;
      const error: GraphError = json.error ?? { code: response.status >= 500 ? 2 : undefined, message: `HTTP ${response.status}` };
      if (error.code === 190) {
        await this.registry.reportAuthFailure(connectionId, 'Facebook rejected the access token (expired or revoked)');
        throw new AuthenticationLost(`connection ${connectionId}: Facebook rejected the access token`);
      }
      if (error.code === 200 && error.error_subcode === 1870090) {
        throw new PermanentFailure('Facebook: the custom audience terms are not accepted for this ad account; accept them in Facebook Ads Manager, then run the export again');
      }
      if (error.code !== undefined && RATE_LIMITED.has(error.code)) {
        const ms = this.rateLimitWait(response.headers.get('x-business-use-case-usage'), attempt);
        this.logger.warn(`rate limited by Facebook (code ${error.code}); waiting ${Math.round(ms / 1000)} s`);
        await heartbeat().catch(() => undefined);
        await this.wait(ms, signal);
        continue;
      }
      if ((error.code !== undefined && TRANSIENT.has(error.code)) || response.status >= 500) {
        await this.retryAfter(attempt, `error ${error.code}`, signal, heartbeat);
        continue;
      }
      throw new GraphApiError(error);
    }
  }

  private async retryAfter(attempt: number, what: string, signal: AbortSignal, heartbeat: () => Promise<void>): Promise<void> {
    if (attempt + 1 >= this.config.SINK_MAX_ATTEMPTS) throw new Error(`Facebook kept failing (${what}) after ${attempt + 1} attempts; the batch will be retried`);
    await heartbeat().catch(() => undefined);
    await this.wait(backoffDelay(attempt, { baseMs: this.config.SINK_BACKOFF_BASE_MS, maxMs: this.config.SINK_BACKOFF_MAX_MS }), signal);
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
    const floor = backoffDelay(attempt, { baseMs: this.config.SINK_BACKOFF_BASE_MS, maxMs: this.config.SINK_BACKOFF_MAX_MS }) + this.config.SINK_BACKOFF_BASE_MS;
    return Math.min(this.config.FACEBOOK_RATE_LIMIT_MAX_WAIT_MS, Math.max(floor, minutes * 60_000));
  }
}
