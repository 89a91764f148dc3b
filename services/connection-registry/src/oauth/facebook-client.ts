import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { upstream } from '../common/api-error';
import { GraphErrorBody, providerJson } from './provider-http';

export interface FacebookAudienceSummary {
  id: string;
  name: string;
  subtype: string;
}

export class FacebookTokenRejected extends Error {}

/** The Graph API calls the registry makes: OAuth exchanges, ad accounts, audience look-up and creation. */
@Injectable()
export class FacebookClient {
  constructor(@Inject(APP_CONFIG) private readonly config: RegistryConfig) {}

  authorizeUrl(state: string, redirectUri: string): string {
    const url = new URL(this.config.FACEBOOK_DIALOG_BASE_URL);
    url.search = new URLSearchParams({ client_id: this.config.FACEBOOK_APP_ID, redirect_uri: redirectUri, state, scope: 'ads_management,ads_read', response_type: 'code' }).toString();
    return url.toString();
  }

  /** Code → short-lived token → long-lived (~60 days) token. */
  async exchangeCode(code: string, redirectUri: string): Promise<{ accessToken: string; expiresAt: Date }> {
    const short = await this.get<{ access_token: string }>('/oauth/access_token', { client_id: this.config.FACEBOOK_APP_ID, client_secret: this.config.FACEBOOK_APP_SECRET, redirect_uri: redirectUri, code });
    const long = await this.get<{ access_token: string; expires_in?: number }>('/oauth/access_token', {
      grant_type: 'fb_exchange_token',
      client_id: this.config.FACEBOOK_APP_ID,
      client_secret: this.config.FACEBOOK_APP_SECRET,
      fb_exchange_token: short.access_token,
    });
    return { accessToken: long.access_token, expiresAt: new Date(Date.now() + (long.expires_in ?? 60 * 24 * 3600) * 1000) };
  }

  async adAccounts(token: string): Promise<{ id: string; accountId: string; name: string }[]> {
    const body = await this.get<{ data: { id: string; account_id: string; name: string }[] }>('/me/adaccounts', { fields: 'id,account_id,name,account_status', limit: '100' }, token);
    return body.data.map((a) => ({ id: a.id, accountId: a.account_id, name: a.name }));
  }

  async audiences(token: string, adAccountId: string): Promise<FacebookAudienceSummary[]> {
    const all: FacebookAudienceSummary[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const body = await this.get<{ data: FacebookAudienceSummary[]; paging?: { next?: string; cursors?: { after?: string } } }>(
        `/act_${adAccountId}/customaudiences`,
        { fields: 'id,name,subtype', limit: '200', ...(after ? { after } : {}) },
        token,
      );
      all.push(...body.data);
      if (!body.paging?.next) break;
      after = body.paging.cursors?.after;
    }
    return all;
  }

  audience(token: string, audienceId: string): Promise<FacebookAudienceSummary> {
    return this.get<FacebookAudienceSummary>(`/${audienceId}`, { fields: 'id,name,subtype' }, token);
  }

  async createAudience(token: string, adAccountId: string, name: string, description: string): Promise<string> {
    const { status, body } = await providerJson<{ id?: string } & GraphErrorBody>('Facebook', `${this.config.FACEBOOK_GRAPH_BASE_URL}/act_${adAccountId}/customaudiences`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ name, description, subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' }),
    });
    if (status !== 200 || !body.id) throw this.failure(body);
    return body.id;
  }

  private async get<T>(path: string, query: Record<string, string>, token?: string): Promise<T> {
    const url = `${this.config.FACEBOOK_GRAPH_BASE_URL}${path}?${new URLSearchParams(query)}`;
    const { status, body } = await providerJson<T & GraphErrorBody>('Facebook', url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (status !== 200) throw this.failure(body);
    return body;
  }

  private failure(body: GraphErrorBody): Error {
    const error = body.error ?? {};
    if (error.code === 190) return new FacebookTokenRejected('Facebook rejected the access token; re-authenticate the connection');
    if (error.code === 200 && error.error_subcode === 1870090) return upstream('Facebook: the custom audience terms are not accepted for this ad account; accept them in Ads Manager and try again');
    return upstream(`Facebook answered error ${error.code ?? 'unknown'}${error.error_subcode ? `/${error.error_subcode}` : ''}: ${error.message ?? 'no message'}`);
  }
}
