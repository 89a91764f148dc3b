import { randomBytes, randomUUID } from 'node:crypto';
import { EmulatorRequest, EmulatorResponse, Router } from '../http-kit';
import { EmulatorDefinition } from '../emulator-server';
import { Faults } from '../faults';
import { MatchedCount } from '../matching';
import { MemberSet } from '../members';
import { challengeOf, verifierMatches, type Challenge } from '../pkce';
import { errors, MicrosoftFailure, Operation, ScriptedAnswers } from './faults';
import { MicrosoftSeed } from './seed';

interface Account {
  customerId: string;
  accountId: string;
  termsAccepted: boolean;
}

interface Audience {
  id: string;
  accountId: string;
  name: string;
  description: string;
  scope: string;
  membershipDuration: number;
  members: MemberSet;
  /** Members matched to Microsoft users (see ../matching.ts, the rule both emulators share). */
  matched: MatchedCount;
  /** When user data last changed it; its sizes are null until `sizeDelayMs` after. */
  changedAt?: number;
  stats: { received: number; invalid: number; rejectedRequests: number };
}

const DIGEST = /^[0-9a-f]{64}$/;
const MAX_ITEMS = 1000;

/**
 * Microsoft identity platform OAuth and the Campaign Management v13 REST operations for
 * Customer Match lists (add, get, delete, apply user data), enforcing headers, tokens, terms,
 * item rules and call rates.
 */
export function microsoftEmulator(seed: MicrosoftSeed): EmulatorDefinition & { audiences: Map<string, Audience>; scripted: ScriptedAnswers } {
  const faults = new Faults();
  const scripted = new ScriptedAnswers();
  const api = new Router();
  const inspection = new Router();
  const accounts = new Map<string, Account>();
  const audiences = new Map<string, Audience>();
  const codes = new Map<string, { redirectUri: string; expiresAt: number; used: boolean; challenge?: Challenge }>();
  const accessTokens = new Map<string, { expiresAt: number }>();
  const refreshTokens = new Map<string, { revoked: boolean }>();
  const calls = new Map<string, number[]>();
  let nextId = 823456789n;

  function load(): void {
    for (const m of [accounts, audiences, codes, accessTokens, refreshTokens, calls] as Map<string, unknown>[]) m.clear();
    scripted.clear();
    for (const customer of seed.customers) {
      for (const a of customer.accounts) accounts.set(a.accountId, { customerId: customer.customerId, accountId: a.accountId, termsAccepted: a.termsAccepted });
    }
  }
  load();

  function issueTokens(): Record<string, unknown> {
    const access = `EwB${randomBytes(30).toString('base64url')}`;
    const refresh = `M.R3_${randomBytes(30).toString('base64url')}`;
    accessTokens.set(access, { expiresAt: Date.now() + seed.accessTokenTtlSeconds * 1000 });
    refreshTokens.set(refresh, { revoked: false });
    return { token_type: 'Bearer', scope: 'https://ads.microsoft.com/msads.manage', expires_in: seed.accessTokenTtlSeconds, access_token: access, refresh_token: refresh };
  }

  const oauthError = (status: number, error: string, description: string): EmulatorResponse => ({
    status,
    body: { error, error_description: description, error_codes: [Number(/^AADSTS(\d+)/.exec(description)?.[1])], timestamp: new Date().toISOString(), trace_id: randomUUID() },
  });

  /** Headers, token, account access and the per-customer call rate, in the order the API checks them. */
  function authorize(req: EmulatorRequest): Account {
    const missing = ['Authorization', 'DeveloperToken', 'CustomerId', 'CustomerAccountId'].filter((h) => !req.headers[h.toLowerCase()]);
    if (missing.length > 0) throw errors.missingHeaders(missing);
    const auth = String(req.headers.authorization);
    const token = auth.startsWith('Bearer ') ? accessTokens.get(auth.slice(7)) : undefined;
    if (!token) throw errors.invalidCredentials();
    if (token.expiresAt <= Date.now()) throw errors.tokenExpired();
    if (!seed.developerTokens.includes(String(req.headers.developertoken))) throw errors.invalidCredentials();
    const account = accounts.get(String(req.headers.customeraccountid));
    if (!account || account.customerId !== String(req.headers.customerid)) throw errors.notAuthorized();
    const now = Date.now();
    const recent = (calls.get(account.customerId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= seed.callsPerCustomerPerMinute) {
      calls.set(account.customerId, recent);
      throw errors.callRate();
    }
    recent.push(now);
    calls.set(account.customerId, recent);
    return account;
  }

  function makeAudience(account: Account, name: string, item: Record<string, unknown>): Audience {
    nextId += 1n;
    const audience: Audience = {
      id: nextId.toString(),
      accountId: account.accountId,
      name,
      description: typeof item.Description === 'string' ? item.Description : '',
      scope: item.Scope === 'Customer' ? 'Customer' : 'Account',
      membershipDuration: typeof item.MembershipDuration === 'number' ? item.MembershipDuration : 30,
      members: new MemberSet(),
      matched: new MatchedCount(),
      stats: { received: 0, invalid: 0, rejectedRequests: 0 },
    };
    audiences.set(audience.id, audience);
    return audience;
  }

  const named = (account: Account, name: string) => [...audiences.values()].some((a) => a.accountId === account.accountId && a.name.toLowerCase() === name.toLowerCase());

  /** A scripted 4853: another user of the account makes each requested list just before this call does. */
  function rivalCreates(req: EmulatorRequest, account: Account): void {
    const list: unknown[] = Array.isArray(req.body.Audiences) ? req.body.Audiences : [];
    for (const item of list as Record<string, unknown>[]) {
      const name = typeof item.Name === 'string' ? item.Name.trim() : '';
      if (name && !named(account, name)) makeAudience(account, name, {});
    }
  }

  /** Authorizes the call, then plays any answer scripted for its operation. */
  const guard =
    (operation: Operation, handler: (req: EmulatorRequest, account: Account) => EmulatorResponse) =>
    (req: EmulatorRequest): EmulatorResponse => {
      try {
        const account = authorize(req);
        if (scripted.take(operation) === 4853) rivalCreates(req, account);
        return handler(req, account);
      } catch (error) {
        if (error instanceof MicrosoftFailure) return error.response;
        throw error;
      }
    };

  /** A list's size as the Audience object reports it: null until computed (never for a list without data), then the matched members. */
  const sizeOf = (a: Audience) => (a.changedAt === undefined || Date.now() - a.changedAt < seed.sizeDelayMs ? null : a.matched.of(a.members));

  const describe = (a: Audience) => ({
    Id: a.id,
    Name: a.name,
    Description: a.description,
    ParentId: a.accountId,
    Scope: a.scope,
    MembershipDuration: a.membershipDuration,
    Type: 'CustomerList',
    SearchSize: sizeOf(a),
    AudienceNetworkSize: sizeOf(a),
    SupportedCampaignTypes: ['Search', 'Shopping', 'Audience'],
  });

  api
    .add('GET', '/common/oauth2/v2.0/authorize', (req) => {
      const redirectUri = req.query.get('redirect_uri');
      if (req.query.get('client_id') !== seed.clientId || !redirectUri || req.query.get('response_type') !== 'code') {
        return { status: 400, html: '<h1>AADSTS700016: unknown client, or redirect_uri / response_type missing</h1>', body: null };
      }
      const target = new URL(redirectUri);
      const state = req.query.get('state');
      if (state !== null) target.searchParams.set('state', state);
      // PKCE (RFC 7636): a code issued with a challenge is redeemed only with its verifier.
      const challenge = challengeOf(req.query.get('code_challenge'), req.query.get('code_challenge_method'));
      if (challenge === 'unsupported') {
        target.searchParams.set('error', 'invalid_request');
        target.searchParams.set('error_description', 'The code_challenge_method is not supported; use S256 or plain.');
        return { status: 302, redirect: target.toString(), body: null };
      }
      const code = randomBytes(24).toString('base64url');
      codes.set(code, { redirectUri, expiresAt: Date.now() + 5 * 60 * 1000, used: false, challenge });
      target.searchParams.set('code', code);
      return { status: 302, redirect: target.toString(), body: null };
    })
    .add('POST', '/common/oauth2/v2.0/token', (req) => {
      const f = req.body as Record<string, string | undefined>;
      if (f.client_id !== seed.clientId || f.client_secret !== seed.clientSecret) return oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      if (f.grant_type === 'authorization_code') {
        const code = codes.get(f.code ?? '');
        if (!code || code.used || code.expiresAt <= Date.now() || code.redirectUri !== f.redirect_uri) {
          return oauthError(400, 'invalid_grant', 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.');
        }
        code.used = true;
        if (code.challenge && !verifierMatches(code.challenge, f.code_verifier)) {
          return oauthError(400, 'invalid_grant', 'AADSTS50148: The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.');
        }
        return { status: 200, body: issueTokens() };
      }
      if (f.grant_type === 'refresh_token') {
        const refresh = refreshTokens.get(f.refresh_token ?? '');
        if (!refresh || refresh.revoked) return oauthError(400, 'invalid_grant', 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.');
        // Refresh tokens rotate: the one just used stops working.
        refresh.revoked = true;
        return { status: 200, body: issueTokens() };
      }
      return oauthError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    })
    .add(
      'POST',
      '/CampaignManagement/v13/Audiences',
      guard('AddAudiences', (req, account) => {
        const list = req.body.Audiences;
        if (!Array.isArray(list) || list.length === 0 || list.length > 100) throw errors.invalidRequest('Audiences must hold 1 to 100 audiences.');
        const ids: (string | null)[] = [];
        const partial: unknown[] = [];
        list.forEach((item: Record<string, unknown>, index) => {
          const fail = (Code: number, ErrorCode: string, Message: string) => {
            ids.push(null);
            partial.push({ Code, ErrorCode, Message, Index: index, Type: 'BatchError', FieldPath: null, Details: null });
          };
          const name = typeof item.Name === 'string' ? item.Name.trim() : '';
          if (item.Type !== 'CustomerList') return fail(4808, 'AudienceTypeNotSupported', 'Only CustomerList audiences can be added here.');
          if (!name || name.length > 128) return fail(4814, 'InvalidAudienceName', 'The audience name is required and at most 128 characters.');
          if (typeof item.Description === 'string' && item.Description.length > 1024) return fail(4815, 'AudienceDescriptionTooLong', 'The description is at most 1024 characters.');
          if (!account.termsAccepted) return fail(8003, 'CustomerListTermsAndConditionsNotAccepted', 'The Customer Match terms and conditions have not been accepted.');
          if (named(account, name)) return fail(4853, 'DuplicateAudienceName', 'An audience with this name already exists.');
          ids.push(makeAudience(account, name, item).id);
        });
        return { status: 200, body: { AudienceIds: ids, PartialErrors: partial } };
      }),
    )
    .add(
      'DELETE',
      '/CampaignManagement/v13/Audiences',
      guard('DeleteAudiences', (req, account) => {
        const ids = req.body.AudienceIds;
        if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw errors.invalidRequest('AudienceIds must hold 1 to 100 ids.');
        const partial: unknown[] = [];
        ids.forEach((id, index) => {
          const a = audiences.get(String(id));
          if (a && a.accountId === account.accountId) audiences.delete(a.id);
          else partial.push({ Code: 4835, ErrorCode: 'InvalidAudienceId', Message: 'The audience ID is invalid.', Index: index, Type: 'BatchError', FieldPath: null, Details: null });
        });
        return { status: 200, body: { PartialErrors: partial } };
      }),
    )
    .add(
      'POST',
      '/CampaignManagement/v13/Audiences/QueryByIds',
      guard('GetAudiencesByIds', (req, account) => {
        const ids = req.body.AudienceIds;
        if (ids !== undefined && ids !== null && (!Array.isArray(ids) || ids.length > 100)) throw errors.invalidRequest('AudienceIds must hold at most 100 ids.');
        const own = [...audiences.values()].filter((a) => a.accountId === account.accountId);
        if (!ids || ids.length === 0) return { status: 200, body: { Audiences: own.map(describe), PartialErrors: [] } };
        const partial: unknown[] = [];
        const found = (ids as unknown[]).map((id, index) => {
          const a = audiences.get(String(id));
          if (a && a.accountId === account.accountId) return describe(a);
          partial.push({ Code: 4835, ErrorCode: 'InvalidAudienceId', Message: 'The audience ID is invalid.', Index: index, Type: 'BatchError' });
          return null;
        });
        return { status: 200, body: { Audiences: found, PartialErrors: partial } };
      }),
    )
    .add(
      'POST',
      '/CampaignManagement/v13/CustomerListUserData/Apply',
      guard('ApplyCustomerListUserData', (req, account) => {
        const data = req.body.CustomerListUserData as Record<string, unknown> | undefined;
        if (!data || typeof data !== 'object') throw errors.invalidRequest('CustomerListUserData is required.');
        const action = data.ActionType;
        if (action !== 'Add' && action !== 'Remove' && action !== 'Replace') throw errors.invalidActionType();
        if (data.CustomerListItemSubType !== 'Email') throw errors.subTypeNotSupported();
        const audience = audiences.get(String(data.AudienceId));
        if (!audience || audience.accountId !== account.accountId) throw errors.invalidList();
        const items = data.CustomerListItems;
        // Microsoft documents at most 1,000 items and no least number (CustomerListItems is nillable;
        // no error code covers an empty list): no items is a valid call, and a Replace with none
        // empties the list, as "Replace" does in the Bulk Customer List record.
        if (!Array.isArray(items)) throw errors.invalidRequest('CustomerListItems must be an array.');
        if (items.length > MAX_ITEMS) throw errors.tooManyItems(MAX_ITEMS);
        // CustomerListUserData: "false: Reject terms and return error 3913 (TermsAndConditionsNotAccepted)".
        if (data.AcceptCustomerMatchTerm === false) throw errors.termsRefused();
        if (data.AcceptCustomerMatchTerm === true) account.termsAccepted = true;
        if (!account.termsAccepted) throw errors.termsNotAccepted();
        const partial: unknown[] = [];
        const valid: string[] = [];
        items.forEach((item, index) => {
          if (typeof item === 'string' && DIGEST.test(item)) valid.push(item);
          else partial.push({ Code: 8004, ErrorCode: 'EmailMustBeHashed', Message: 'The email must be hashed with SHA-256 (64 lowercase hexadecimal characters).', Index: index, Type: 'BatchError', FieldPath: 'CustomerListItems', Details: null });
        });
        if (action === 'Replace') audience.members.clear();
        for (const digest of valid) {
          if (action === 'Remove') audience.members.delete(digest.slice(0, 16));
          else audience.members.add(digest.slice(0, 16));
        }
        audience.stats.received += items.length;
        audience.stats.invalid += partial.length;
        audience.changedAt = Date.now();
        return { status: 200, body: { PartialErrors: partial } };
      }),
    );

  inspection
    .add('GET', '/_emulator/audiences', () => ({
      status: 200,
      body: { audiences: [...audiences.values()].map((a) => ({ id: a.id, accountId: a.accountId, name: a.name, members: a.members.size, ...a.stats })) },
    }))
    .add('GET', '/_emulator/audiences/:id', (req, params) => {
      const a = audiences.get(params.id);
      if (!a) return { status: 404, body: { error: `no audience ${params.id}` } };
      const offset = Number(req.query.get('offset') ?? 0);
      const limit = Math.min(Number(req.query.get('limit') ?? 10_000), 100_000);
      return { status: 200, body: { ...describe(a), count: a.members.size, checksum: a.members.checksum(), ...a.stats, members: a.members.page(offset, limit) } };
    })
    .add('POST', '/_emulator/tokens/expire', () => {
      for (const t of accessTokens.values()) t.expiresAt = Date.now() - 1;
      return { status: 200, body: { expired: accessTokens.size } };
    })
    .add('POST', '/_emulator/tokens/revoke', () => {
      // The platform no longer knows these access tokens: calls with them answer 105 InvalidCredentials.
      const revoked = accessTokens.size;
      accessTokens.clear();
      return { status: 200, body: { revoked } };
    })
    .add('GET', '/_emulator/scripted-answers', () => ({ status: 200, body: { pending: scripted.pending() } }))
    .add('POST', '/_emulator/scripted-answers', (req) => ({ status: 200, body: { pending: scripted.add(req.body.answers ?? req.body) } }))
    .add('POST', '/_emulator/refresh-tokens/revoke', () => {
      for (const t of refreshTokens.values()) t.revoked = true;
      return { status: 200, body: { revoked: refreshTokens.size } };
    })
    .add('POST', '/_emulator/accounts/:id', (req, params) => {
      const account = accounts.get(params.id);
      if (!account) return { status: 404, body: { error: `no account ${params.id}` } };
      if (typeof req.body.termsAccepted === 'boolean') account.termsAccepted = req.body.termsAccepted;
      return { status: 200, body: account };
    });

  return {
    name: 'microsoft',
    audiences,
    scripted,
    api,
    inspection,
    faults,
    faultResponse: (kind) => (kind === 'server-error' ? errors.internal() : errors.callRate()).response,
    notFound: (req) => errors.invalidRequest(`No operation at ${req.path}.`).response,
    badRequest: (message) => errors.invalidRequest(message).response,
    commonHeaders: () => ({ TrackingId: randomUUID() }),
    errorCodeOf: (response) => {
      const body = response.body as { Errors?: { Code: number }[]; OperationErrors?: { Code: number }[]; error?: string } | null;
      return body?.Errors?.[0]?.Code ?? body?.OperationErrors?.[0]?.Code ?? body?.error;
    },
    reset: load,
  };
}
