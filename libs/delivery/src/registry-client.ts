import { Logger } from '@nestjs/common';
import { withIds } from '@audience-sync/runtime';

export class ReauthenticationRequired extends Error {}

/**
 * The sinks' only way to credentials: access tokens from the registry's internal API, with the
 * sink's own credential (INTERNAL_API_TOKEN), which opens its destination's connections and exports
 * only. Tokens stay in memory and are never logged.
 */
export class RegistryClient {
  private readonly logger = new Logger(RegistryClient.name);
  private readonly cache = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    private readonly baseUrl: string,
    private readonly internalToken: string,
  ) {}

  async accessToken(connectionId: string, forceRefresh = false): Promise<string> {
    const cached = this.cache.get(connectionId);
    if (!forceRefresh && cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
    const response = await fetch(`${this.baseUrl}/internal/connections/${encodeURIComponent(connectionId)}/access-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.internalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ forceRefresh }),
      signal: AbortSignal.timeout(20000),
    });
    if (response.status === 409) throw new ReauthenticationRequired(`connection ${connectionId} needs re-authentication`);
    if (!response.ok) throw new Error(`the registry answered ${response.status} for an access token of connection ${connectionId}`);
    const body = (await response.json()) as { accessToken: string; expiresAt: string };
    this.cache.set(connectionId, { token: body.accessToken, expiresAt: Date.parse(body.expiresAt) });
    return body.accessToken;
  }

  forget(connectionId: string): void {
    this.cache.delete(connectionId);
  }

  /** The provider rejected the credentials: the registry flags the connection and pauses its exports. */
  async reportAuthFailure(connectionId: string, problem: string): Promise<void> {
    this.forget(connectionId);
    const response = await fetch(`${this.baseUrl}/internal/connections/${encodeURIComponent(connectionId)}/auth-failure`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.internalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ problem }),
      signal: AbortSignal.timeout(20000),
    });
    if (!response.ok) this.logger.warn(withIds({ connectionId }, `could not report the auth failure of the connection: the registry answered ${response.status}`));
  }

  /**
   * The export cannot deliver until an admin acts: the registry shows the problem on the export and
   * publishes its config with it, which holds the export's changes. Not reaching the registry is
   * logged, not thrown: the caller tries the delivery again and reports again.
   */
  async reportExportProblem(exportId: string, problem: string): Promise<void> {
    await this.report(`exports/${encodeURIComponent(exportId)}/problem`, { exportId }, 'the problem of the export', { problem });
  }

  /**
   * The account has not accepted the platform's terms: the registry shows the problem on the
   * connection until an admin confirms they are accepted. Not reaching the registry is logged, not
   * thrown: the run has failed anyway, and the next refused delivery reports again.
   */
  async reportTermsProblem(connectionId: string, problem: string, refusedAt: Date): Promise<void> {
    await this.report(`connections/${encodeURIComponent(connectionId)}/terms-problem`, { connectionId }, 'the terms problem of the connection', { problem, refusedAt: refusedAt.toISOString() });
  }

  private async report(path: string, ids: { exportId?: string; connectionId?: string }, what: string, body: { problem: string; refusedAt?: string }): Promise<void> {
    try {
      const response = await fetch(`${this.baseUrl}/internal/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.internalToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20000),
      });
      if (!response.ok) this.logger.warn(withIds(ids, `could not report ${what}: the registry answered ${response.status}`));
    } catch (error) {
      this.logger.warn(withIds(ids, `could not report ${what}: ${(error as Error).message}`));
    }
  }

  /**
   * The export's audience lost what was sent before (a list made again): the registry starts a
   * full sync and returns its run id. Throws when the registry cannot be asked, so the caller keeps
   * its batch and asks again; an export the registry no longer has needs nothing (undefined).
   */
  async requestFullSync(exportId: string, requestedBy: string): Promise<string | undefined> {
    const what = `a full sync of export ${exportId}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/internal/exports/${encodeURIComponent(exportId)}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.internalToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ requestedBy }),
        signal: AbortSignal.timeout(20000),
      });
    } catch (error) {
      throw new Error(`could not ask the registry for ${what}: ${(error as Error).message}`);
    }
    if (response.status === 404) {
      this.logger.warn(withIds({ exportId }, 'the registry no longer has the export; no full sync asked for'));
      return undefined;
    }
    if (!response.ok) throw new Error(`the registry answered ${response.status} when asked for ${what}`);
    return ((await response.json()) as { runId: string }).runId;
  }
}
