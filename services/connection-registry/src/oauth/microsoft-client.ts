import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { upstream } from '../common/api-error';
import { providerJson } from './provider-http';

const SCOPE = 'openid offline_access https://ads.microsoft.com/msads.manage';

export interface MicrosoftTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

/** The refresh token is dead: the connection must be authorised again. */
export class MicrosoftGrantRejected extends Error {}

@Injectable()
export class MicrosoftClient {
  constructor(@Inject(APP_CONFIG) private readonly config: RegistryConfig) {}

  authorizeUrl(state: string, redirectUri: string): string {
    const url = new URL(`${this.config.MICROSOFT_OAUTH_BASE_URL}/authorize`);
    url.search = new URLSearchParams({ client_id: this.config.MICROSOFT_CLIENT_ID, response_type: 'code', redirect_uri: redirectUri, response_mode: 'query', scope: SCOPE, state }).toString();
    return url.toString();
  }

  exchangeCode(code: string, redirectUri: string): Promise<MicrosoftTokens> {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, scope: SCOPE });
  }

  /** Every refresh returns a new refresh token; the caller must store it (the old one stops working). */
  refresh(refreshToken: string): Promise<MicrosoftTokens> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'https://ads.microsoft.com/msads.manage offline_access' });
  }

  private async token(form: Record<string, string>): Promise<MicrosoftTokens> {
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
    if (body.error === 'invalid_grant') throw new MicrosoftGrantRejected('Microsoft no longer accepts the stored authorisation; re-authenticate the connection');
    throw upstream(`Microsoft identity platform answered ${body.error ?? status}; check MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET`);
  }
}
