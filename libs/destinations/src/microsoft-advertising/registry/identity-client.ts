import type { AuthorizeRequest, Grant, RegistryClient } from '../../registry-parts';
import { CredentialsRejected, ProviderError, providerJson } from '../../registry-http';
import type { MicrosoftRegistryConfig } from './config';

const SCOPE = 'openid offline_access https://ads.microsoft.com/msads.manage';

/** Sign-in with the Microsoft identity platform: access tokens live an hour, refresh tokens rotate. */
export class MicrosoftRegistryClient implements RegistryClient {
  constructor(private readonly config: MicrosoftRegistryConfig) {}

  /** With PKCE (S256), which the Microsoft identity platform supports for web apps too: a stolen code is useless without the verifier. */
  authorizeUrl({ state, redirectUri, codeChallenge }: AuthorizeRequest): string {
    const url = new URL(`${this.config.MICROSOFT_OAUTH_BASE_URL}/authorize`);
    url.search = new URLSearchParams({
      client_id: this.config.MICROSOFT_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      response_mode: 'query',
      scope: SCOPE,
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  exchangeCode(code: string, redirectUri: string, codeVerifier: string): Promise<Grant> {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, scope: SCOPE, code_verifier: codeVerifier });
  }

  /** Every refresh returns a new refresh token; the caller must store it (the old one stops working). */
  refresh(refreshToken: string): Promise<Grant> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'https://ads.microsoft.com/msads.manage offline_access' });
  }

  private async token(form: Record<string, string>): Promise<Grant> {
    const { status, body } = await providerJson<{ access_token?: string; refresh_token?: string; expires_in?: number; error?: string; error_description?: string }>(
      'Microsoft',
      `${this.config.MICROSOFT_OAUTH_BASE_URL}/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: this.config.MICROSOFT_CLIENT_ID, client_secret: this.config.MICROSOFT_CLIENT_SECRET, ...form }),
      },
    );
    if (status === 200 && body.access_token && body.refresh_token) {
      return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresAt: new Date(Date.now() + (body.expires_in ?? 3600) * 1000) };
    }
    if (body.error === 'invalid_grant') throw new CredentialsRejected('Microsoft no longer accepts the stored authorisation');
    throw new ProviderError(`Microsoft identity platform answered ${body.error ?? status}; check MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET`);
  }
}
