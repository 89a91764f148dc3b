import type { AccountSummary, AudienceChoice, AuthorizeRequest, AudienceDirectory, AudienceListing, ChosenAudience, Grant, RegistryClient } from '../../registry-parts';
import { ChoiceRefused, CredentialsRejected, ProviderError, providerJson } from '../../registry-http';
import { appSecretProof } from '../graph';
import type { FacebookRegistryConfig } from './config';

interface AudienceSummary {
  id: string;
  name: string;
  subtype: string;
}

interface GraphErrorBody {
  error?: { message?: string; code?: number; error_subcode?: number };
}

/** A page of a Graph edge; `paging.next` is there while more follow (cursor-based paging). */
interface GraphPage<T> {
  data: T[];
  paging?: { next?: string; cursors?: { after?: string } };
}

/** Pages read from one edge at most: a runaway cursor stops here instead of looping. */
const MAX_PAGES = 50;

/** Exports feed customer lists only; other subtypes are listed but cannot be chosen. */
const CUSTOMER_LIST = 'CUSTOM';

/**
 * The Graph API calls the registry makes: OAuth exchanges, ad accounts, audience look-up and creation.
 * Every call made with a user token carries appsecret_proof, so an app with "Require App Secret" on works.
 */
export class FacebookRegistryClient implements RegistryClient, AudienceDirectory {
  readonly directory: AudienceDirectory = this;

  constructor(private readonly config: FacebookRegistryConfig) {}

  /**
   * With PKCE (S256): Facebook Login's manually built flow takes code_challenge and
   * code_challenge_method on the dialog and code_verifier at the code exchange ("OIDC Code Flow with
   * PKCE for Manually Built Facebook Login Flows",
   * https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token, which
   * Meta marks "still in testing"). If Meta drops it, remove both parameters here.
   */
  authorizeUrl({ state, redirectUri, codeChallenge }: AuthorizeRequest): string {
    const url = new URL(this.config.FACEBOOK_DIALOG_BASE_URL);
    url.search = new URLSearchParams({
      client_id: this.config.FACEBOOK_APP_ID,
      redirect_uri: redirectUri,
      state,
      scope: 'ads_management,ads_read',
      response_type: 'code',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  /** Code → short-lived token → long-lived (~60 days) token, which is what the registry stores. */
  async exchangeCode(code: string, redirectUri: string, codeVerifier: string): Promise<Grant> {
    const short = await this.get<{ access_token: string }>('/oauth/access_token', {
      client_id: this.config.FACEBOOK_APP_ID,
      client_secret: this.config.FACEBOOK_APP_SECRET,
      redirect_uri: redirectUri,
      code,
      code_verifier: codeVerifier,
    });
    const long = await this.get<{ access_token: string; expires_in?: number }>('/oauth/access_token', {
      grant_type: 'fb_exchange_token',
      client_id: this.config.FACEBOOK_APP_ID,
      client_secret: this.config.FACEBOOK_APP_SECRET,
      fb_exchange_token: short.access_token,
    });
    return { accessToken: long.access_token, expiresAt: new Date(Date.now() + (long.expires_in ?? 60 * 24 * 3600) * 1000) };
  }

  /** Every ad account the user can manage, page by page (Graph pages /me/adaccounts: 25 by default). */
  async accounts(token: string): Promise<AccountSummary[]> {
    const accounts = await this.all<{ id: string; account_id: string; name: string }>('/me/adaccounts', { fields: 'id,account_id,name,account_status', limit: '100' }, token);
    return accounts.map((a) => ({ id: a.id, accountId: a.account_id, name: a.name }));
  }

  async audiences(token: string, adAccountId: string): Promise<AudienceListing[]> {
    const all = await this.all<AudienceSummary>(`/act_${accountNumber(adAccountId)}/customaudiences`, { fields: 'id,name,subtype', limit: '200' }, token);
    return all.map((a) => ({
      ...a,
      selectable: a.subtype === CUSTOMER_LIST,
      ...(a.subtype === CUSTOMER_LIST ? {} : { reason: `a ${a.subtype} audience; exports need a customer-list (CUSTOM) audience` }),
    }));
  }

  async resolve(token: string, choice: AudienceChoice): Promise<ChosenAudience> {
    const adAccountId = accountNumber(choice.adAccountId);
    if ('create' in choice) {
      const audienceId = await this.createAudience(token, adAccountId, choice.create.name, choice.create.description);
      return { adAccountId, audienceId, audienceName: choice.create.name };
    }
    const audience = await this.get<AudienceSummary>(`/${choice.audienceId}`, { fields: 'id,name,subtype' }, token);
    if (audience.subtype !== CUSTOMER_LIST) {
      throw new ChoiceRefused(`the Facebook audience ${audience.id} is a ${audience.subtype} audience; exports need a customer-list audience (subtype CUSTOM): pick another or create a new one`);
    }
    return { adAccountId, audienceId: audience.id, audienceName: audience.name };
  }

  private async createAudience(token: string, adAccountId: string, name: string, description: string): Promise<string> {
    const { status, body } = await providerJson<{ id?: string } & GraphErrorBody>('Facebook', `${this.config.FACEBOOK_GRAPH_BASE_URL}/act_${adAccountId}/customaudiences`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ name, description, subtype: CUSTOMER_LIST, customer_file_source: 'USER_PROVIDED_ONLY', ...this.proof(token) }),
    });
    if (status !== 200 || !body.id) throw failure(body);
    return body.id;
  }

  /** Every item of a paged edge, following `paging.cursors.after` while `paging.next` says more follow. */
  private async all<T>(path: string, query: Record<string, string>, token: string): Promise<T[]> {
    const items: T[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const body = await this.get<GraphPage<T>>(path, { ...query, ...(after ? { after } : {}) }, token);
      items.push(...body.data);
      after = body.paging?.cursors?.after;
      if (!body.paging?.next || !after) return items;
    }
    // Offering a partial list would hide the rest: say so instead.
    throw new Error(`Facebook listed more than ${items.length} items under ${path.replace(/act_\d+/, 'act_…')}; enter the id directly instead of choosing from the list`);
  }

  /** A GET; with a user token it carries appsecret_proof (the OAuth exchanges authenticate with client_secret instead). */
  private async get<T>(path: string, query: Record<string, string>, token?: string): Promise<T> {
    const url = `${this.config.FACEBOOK_GRAPH_BASE_URL}${path}?${new URLSearchParams({ ...query, ...(token ? this.proof(token) : {}) })}`;
    const { status, body } = await providerJson<T & GraphErrorBody>('Facebook', url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (status !== 200) throw failure(body);
    return body;
  }

  private proof(token: string): { appsecret_proof: string } {
    return { appsecret_proof: appSecretProof(this.config.FACEBOOK_APP_SECRET, token) };
  }
}

/** Ad accounts are stored and addressed by number; the API accepts them with or without `act_`. */
function accountNumber(adAccountId: string): string {
  return adAccountId.replace(/^act_/, '');
}

function failure(body: GraphErrorBody): Error {
  const error = body.error ?? {};
  if (error.code === 190) return new CredentialsRejected('Facebook rejected the access token');
  if (error.code === 200 && error.error_subcode === 1870090) return new ProviderError('Facebook: the custom audience terms are not accepted for this ad account; accept them in Ads Manager and try again');
  return new ProviderError(`Facebook answered error ${error.code ?? 'unknown'}${error.error_subcode ? `/${error.error_subcode}` : ''}: ${error.message ?? 'no message'}`);
}
