import { createHmac, timingSafeEqual } from 'node:crypto';
import { EmulatorRequest, EmulatorResponse, Router } from '../http-kit';
import { EmulatorDefinition } from '../emulator-server';
import { Faults } from '../faults';
import { MemberSet, memberKey } from '../members';
import { challengeOf, verifierMatches } from '../pkce';
import { audienceUpdateFailed, badParameter, GraphFailure, graphError, proofRefused, scriptedGraphError, termsNotAccepted, unknownObject, usageHeader } from './graph-error';
import { parsePayload } from './payload';
import { FacebookSeed } from './seed';
import { Audience, FacebookState, UploadSession } from './state';

type Params = Record<string, string>;

/** Reads a parameter from the query string, the form body or the JSON body. */
function param(req: EmulatorRequest, name: string): unknown {
  return req.body[name] ?? req.query.get(name) ?? undefined;
}

function stringParam(req: EmulatorRequest, name: string): string | undefined {
  const v = param(req, name);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function jsonParam(req: EmulatorRequest, name: string): unknown {
  const v = param(req, name);
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw badParameter(`Param ${name} must be JSON`);
  }
}

/**
 * The Graph API surface for customer-list custom audiences, enforcing what Meta documents:
 * tokens, terms, subtype, payload rules, replace sessions, per-account call budgets.
 */
export function facebookEmulator(seed: FacebookSeed): EmulatorDefinition & { state: FacebookState } {
  const state = new FacebookState(seed);
  const faults = new Faults();
  const api = new Router();
  const inspection = new Router();

  const guard =
    (handler: (req: EmulatorRequest, params: Params) => EmulatorResponse | Promise<EmulatorResponse>, options: { auth?: boolean } = {}) =>
    async (req: EmulatorRequest, params: Params): Promise<EmulatorResponse> => {
      try {
        checkVersion(params.version);
        if (options.auth !== false) authenticate(req);
        return await handler(req, params);
      } catch (error) {
        if (error instanceof GraphFailure) {
          const audience = params.id ? state.audiences.get(params.id) : undefined;
          if (audience) audience.stats.rejectedRequests += 1;
          return graphError(error.spec);
        }
        throw error;
      }
    };

  function checkVersion(version: string | undefined): void {
    const m = /^v(\d+)\.0$/.exec(version ?? '');
    if (!m) throw new GraphFailure({ code: 100, message: `Unknown path components: /${version}` });
    if (Number(m[1]) < seed.minimumVersion) {
      throw new GraphFailure({ code: 2635, message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v${seed.minimumVersion + 2}.0.` });
    }
  }

  function authenticate(req: EmulatorRequest): void {
    const header = req.headers.authorization;
    const token = stringParam(req, 'access_token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
    if (!token) throw new GraphFailure({ code: 104, message: 'An access token is required to request this resource.' });
    const known = state.tokens.get(token);
    if (!known) throw new GraphFailure({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    if (known.expiresAt <= Date.now()) {
      throw new GraphFailure({ code: 190, subcode: 463, message: `Error validating access token: Session has expired on ${new Date(known.expiresAt).toUTCString()}.` });
    }
    const proof = stringParam(req, 'appsecret_proof');
    if (proof === undefined) {
      if (seed.requireAppSecretProof) throw proofRefused('API calls from the server require an appsecret_proof argument');
      return;
    }
    const expected = createHmac('sha256', seed.appSecret).update(token).digest('hex');
    if (proof.length !== expected.length || !timingSafeEqual(Buffer.from(proof), Buffer.from(expected))) throw proofRefused('Invalid appsecret_proof provided in the API argument');
  }

  /** One page of `all` as Graph pages an edge: `limit` (25 by default), opaque `after` cursors, `next` while more follow. */
  function pageOf<T>(req: EmulatorRequest, all: T[], maxLimit: number): { page: T[]; paging: Record<string, unknown> } {
    const limit = Math.min(Number(stringParam(req, 'limit') ?? 25), maxLimit);
    const start = Number(Buffer.from(stringParam(req, 'after') ?? 'MA', 'base64url').toString() || 0);
    const cursor = (at: number) => Buffer.from(String(at)).toString('base64url');
    const next = start + limit < all.length ? cursor(start + limit) : undefined;
    return {
      page: all.slice(start, start + limit),
      paging: { cursors: { before: cursor(start), after: next ?? cursor(all.length) }, ...(next ? { next: `${req.path}?limit=${limit}&after=${next}` } : {}) },
    };
  }

  /** The per-ad-account custom-audience call budget (80003 once spent). */
  function spendCall(accountId: string): Record<string, string> {
    const account = state.accounts.get(accountId)!;
    const now = Date.now();
    if (now - account.calls.windowStart >= 3600_000) account.calls = { windowStart: now, count: 0 };
    account.calls.count += 1;
    const usage = (minutes: number) => usageHeader(accountId, Math.min(100, Math.round((account.calls.count / seed.callsPerAccountPerHour) * 100)), minutes);
    if (account.calls.count > seed.callsPerAccountPerHour) {
      const minutes = Math.ceil((account.calls.windowStart + 3600_000 - now) / 60000);
      throw new GraphFailure({ code: 80003, subcode: 2446079, message: '(#80003) There have been too many calls to this ad-account. Wait a bit and try again.', headers: usage(minutes) });
    }
    return usage(0);
  }

  /** The ad account a call is about (its usage header's key): the audience's, the act_ one, or the app's. */
  function accountIdOf(path: string): string {
    const id = path.split('/')[2] ?? '';
    return state.audiences.get(id)?.accountId ?? /^act_(\d+)$/.exec(id)?.[1] ?? seed.appId;
  }

  function audienceOf(req: EmulatorRequest, id: string): Audience {
    const audience = state.audiences.get(id);
    if (!audience) throw unknownObject(id, req.method);
    return audience;
  }

  function checkUploadable(audience: Audience, style: Audience['style']): void {
    if (!state.accounts.get(audience.accountId)!.termsAccepted) throw termsNotAccepted();
    if (audience.subtype !== 'CUSTOM') {
      throw audienceUpdateFailed(`This audience is of subtype ${audience.subtype}; customer data can only be added to or removed from customer list (CUSTOM) audiences.`);
    }
    if (audience.style && audience.style !== style) {
      throw audienceUpdateFailed(`This custom audience was created from data source FILE_IMPORTED.${audience.style}, which does not support FILE_IMPORTED.${style} uploads.`);
    }
  }

  function replaceRunning(audience: Audience): UploadSession | undefined {
    const session = audience.replaceSessionId ? state.sessions.get(audience.replaceSessionId) : undefined;
    if (!session || session.finished) return undefined;
    if (Date.now() - session.startedAt > seed.replaceSessionTimeoutMs) {
      session.finished = true;
      audience.replaceSessionId = undefined;
      return undefined;
    }
    return session;
  }

  function readSession(req: EmulatorRequest, required: boolean): { id: string; sentAs: 'number' | 'string'; seq: number; last: boolean } | undefined {
    const raw = jsonParam(req, 'session');
    if (raw === undefined) {
      if (required) throw badParameter('The parameter session is required');
      return undefined;
    }
    const s = raw as { session_id?: unknown; batch_seq?: unknown; last_batch_flag?: unknown };
    const id = typeof s.session_id === 'number' || typeof s.session_id === 'string' ? String(s.session_id) : '';
    if (!/^\d{1,19}$/.test(id)) throw badParameter('session.session_id must be a 64-bit integer');
    const seq = Number(s.batch_seq ?? 1);
    if (!Number.isInteger(seq) || seq < 1) throw badParameter('session.batch_seq must be a positive integer');
    if (s.last_batch_flag !== undefined && typeof s.last_batch_flag !== 'boolean') throw badParameter('session.last_batch_flag must be a boolean');
    return { id, sentAs: typeof s.session_id === 'number' ? 'number' : 'string', seq, last: s.last_batch_flag === true };
  }

  function uploadResponse(audience: Audience, session: UploadSession, invalidSamples: Record<string, string>, headers: Record<string, string>): EmulatorResponse {
    return {
      status: 200,
      headers,
      body: { audience_id: audience.id, session_id: session.id, num_received: session.received, num_invalid_entries: session.invalid, invalid_entry_samples: invalidSamples },
    };
  }

  function changeUsers(op: 'add' | 'remove') {
    return (req: EmulatorRequest, params: Params): EmulatorResponse => {
      const audience = audienceOf(req, params.id);
      const headers = spendCall(audience.accountId);
      const payload = parsePayload(jsonParam(req, 'payload'));
      checkUploadable(audience, payload.style);
      if (replaceRunning(audience)) throw audienceUpdateFailed('A replace operation is in progress on this audience; try again after it finished.', 1870145);
      const requested = readSession(req, false);
      const sessionId = requested?.id ?? String(BigInt(Date.now()) * 1000n + BigInt(state.sessions.size));
      let session = state.sessions.get(sessionId);
      if (!session) {
        session = { id: sessionId, audienceId: audience.id, kind: 'users', received: 0, invalid: 0, startedAt: Date.now(), finished: false };
        state.sessions.set(sessionId, session);
      }
      audience.style ??= payload.style;
      for (const row of payload.validRows) {
        const key = memberKey(row);
        if (op === 'add') audience.members.add(key);
        else audience.members.delete(key);
      }
      const received = payload.validRows.length + payload.invalidCount;
      session.received += received;
      session.invalid += payload.invalidCount;
      audience.stats.received += received;
      audience.stats.invalid += payload.invalidCount;
      if (requested?.last) session.finished = true;
      audience.uploadedAt = Date.now();
      return uploadResponse(audience, session, payload.invalidSamples, headers);
    };
  }

  /**
   * POST /{id}/usersreplace. Meta documents one error code for it, 2650; the subcodes are those of the
   * reference notes, of which only 1870147 is confirmed (public client code), so each message also
   * carries the wording clients classify these by: "replace ... in progress", "session".
   */
  function replaceUsers(req: EmulatorRequest, params: Params): EmulatorResponse {
    const audience = audienceOf(req, params.id);
    const headers = spendCall(audience.accountId);
    const requested = readSession(req, true)!;
    const payload = parsePayload(jsonParam(req, 'payload'));
    checkUploadable(audience, payload.style);
    const schemaKey = payload.schema.join(',');
    let session = state.sessions.get(requested.id);
    if (session) {
      if (session.kind !== 'replace' || session.audienceId !== audience.id) throw audienceUpdateFailed('This session belongs to another operation.', 1870159);
      if (session.finished) throw audienceUpdateFailed('This replace session has already finished.', 1870159);
      if (Date.now() - session.startedAt > seed.replaceSessionTimeoutMs) {
        session.finished = true;
        audience.replaceSessionId = undefined;
        throw audienceUpdateFailed('The replace session timed out.', 1870158);
      }
      if (session.schemaKey !== schemaKey) throw audienceUpdateFailed('Every batch of a replace session must use the same schema.');
    } else {
      if (requested.seq !== 1) throw audienceUpdateFailed('Invalid Upload Batch for Replace: the first batch_seq of this session was not detected.', 1870147);
      if (replaceRunning(audience)) throw audienceUpdateFailed('Another replace operation is in progress on this audience.', 1870145);
      if (audience.members.size >= 100_000_000) throw audienceUpdateFailed('The audience is too large to be replaced.', 1870144);
      session = { id: requested.id, idSentAs: requested.sentAs, audienceId: audience.id, kind: 'replace', received: 0, invalid: 0, startedAt: Date.now(), finished: false, schemaKey, staged: new MemberSet(), batches: [] };
      state.sessions.set(session.id, session);
      audience.replaceSessionId = session.id;
    }
    audience.style ??= payload.style;
    session.batches!.push({ seq: requested.seq, last: requested.last });
    audience.uploadedAt = Date.now();
    for (const row of payload.validRows) session.staged!.add(memberKey(row));
    const received = payload.validRows.length + payload.invalidCount;
    session.received += received;
    session.invalid += payload.invalidCount;
    audience.stats.received += received;
    audience.stats.invalid += payload.invalidCount;
    if (requested.last) {
      audience.members.replaceWith(session.staged!);
      session.staged = undefined;
      session.finished = true;
      audience.replaceSessionId = undefined;
    }
    return uploadResponse(audience, session, payload.invalidSamples, headers);
  }

  /**
   * What Meta reports of an audience's size, computed after matching (matching.ts). Bounds as in the
   * Custom Audience reference's example (count 5,000: lower 4,900, upper 5,100): ±2 %, rounded
   * outwards to two significant digits. Below 1,000 matched people the emulator reports 0 to 1,000,
   * its reading of Ads Manager's "Below 1000"; below 100 (Meta recommends at least 100, notes) the
   * delivery_status is 300, "smaller than it should be". operation_status is 414 while a replace
   * runs, 441 (populating) for `sizeProcessingMs` after an upload, else 200.
   */
  function sizeOf(audience: Audience, replacing: boolean) {
    const matched = audience.matched.of(audience.members);
    const round = (n: number, up: boolean) => {
      if (n <= 0) return 0;
      const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
      return (up ? Math.ceil(n / unit) : Math.floor(n / unit)) * unit;
    };
    const [lower, upper] = matched < 1000 ? [0, 1000] : [round(matched * 0.98, false), round(matched * 1.02, true)];
    const populating = audience.uploadedAt !== undefined && Date.now() - audience.uploadedAt < seed.sizeProcessingMs;
    return {
      approximate_count_lower_bound: lower,
      approximate_count_upper_bound: upper,
      operation_status: replacing ? { code: 414, description: 'Replace in progress' } : populating ? { code: 441, description: 'Audience is being populated' } : { code: 200, description: 'Normal' },
      delivery_status: matched < 100 ? { code: 300, description: 'This audience is too small to be used.' } : { code: 200, description: 'This audience is ready for use.' },
    };
  }

  function describeAudience(audience: Audience, fields: string[]): Record<string, unknown> {
    const replacing = Boolean(replaceRunning(audience));
    const sized = fields.some((f) => f.startsWith('approximate_count') || f.endsWith('_status'));
    const all: Record<string, unknown> = {
      id: audience.id,
      name: audience.name,
      subtype: audience.subtype,
      description: audience.description ?? '',
      customer_file_source: audience.customerFileSource,
      data_source: { type: audience.subtype !== 'CUSTOM' ? 'EVENT_BASED' : audience.style ? 'FILE_IMPORTED' : 'UNKNOWN', sub_type: audience.style ?? 'ANYTHING' },
      ...(sized ? sizeOf(audience, replacing) : {}),
      account_id: audience.accountId,
    };
    return Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]]));
  }

  const fieldsOf = (req: EmulatorRequest, fallback: string[]) => stringParam(req, 'fields')?.split(',').map((f) => f.trim()).filter(Boolean) ?? fallback;

  api
    .add(
      'GET',
      '/:version/dialog/oauth',
      guard(
        (req) => {
          const clientId = stringParam(req, 'client_id');
          const redirectUri = stringParam(req, 'redirect_uri');
          if (clientId !== seed.appId || !redirectUri) return { status: 400, html: '<h1>Invalid App ID or missing redirect_uri</h1>', body: null };
          const target = new URL(redirectUri);
          // PKCE, as Facebook Login's manual flow documents it (code_challenge + S256, code_verifier at the exchange).
          const challenge = challengeOf(stringParam(req, 'code_challenge'), stringParam(req, 'code_challenge_method'));
          if (challenge === 'unsupported') return { status: 400, html: '<h1>Invalid code_challenge_method: use S256</h1>', body: null };
          target.searchParams.set('code', state.issueCode(redirectUri, challenge));
          const callerState = stringParam(req, 'state');
          if (callerState !== undefined) target.searchParams.set('state', callerState);
          return { status: 302, redirect: target.toString(), body: null };
        },
        { auth: false },
      ),
    )
    .add(
      'GET',
      '/:version/oauth/access_token',
      guard(
        (req) => {
          if (stringParam(req, 'client_id') !== seed.appId) throw badParameter('Error validating application. Invalid application ID.');
          if (stringParam(req, 'client_secret') !== seed.appSecret) throw new GraphFailure({ code: 1, status: 400, message: 'Error validating client secret.' });
          if (stringParam(req, 'grant_type') === 'fb_exchange_token') {
            const short = stringParam(req, 'fb_exchange_token') ?? '';
            const known = state.tokens.get(short);
            if (!known || known.expiresAt <= Date.now()) throw new GraphFailure({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
            return { status: 200, body: { access_token: state.issueToken(true, seed.longTokenTtlSeconds), token_type: 'bearer', expires_in: seed.longTokenTtlSeconds } };
          }
          const code = state.codes.get(stringParam(req, 'code') ?? '');
          if (!code) throw badParameter('Invalid verification code format.');
          if (code.used) throw new GraphFailure({ code: 100, subcode: 36009, message: 'This authorization code has been used.' });
          if (code.expiresAt <= Date.now()) throw new GraphFailure({ code: 100, subcode: 36007, message: 'This authorization code has expired.' });
          if (code.redirectUri !== stringParam(req, 'redirect_uri')) {
            throw new GraphFailure({ code: 100, subcode: 36008, message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request' });
          }
          code.used = true;
          // The emulator's wording: Meta documents the parameter, not its error.
          if (code.challenge && !verifierMatches(code.challenge, stringParam(req, 'code_verifier'))) throw badParameter('Invalid code_verifier: it does not match the code_challenge of the login dialog.');
          return { status: 200, body: { access_token: state.issueToken(false, seed.shortTokenTtlSeconds), token_type: 'bearer', expires_in: seed.shortTokenTtlSeconds } };
        },
        { auth: false },
      ),
    )
    .add(
      'GET',
      '/:version/me/adaccounts',
      guard((req) => {
        const { page, paging } = pageOf(req, [...state.accounts.values()], 100);
        return { status: 200, body: { data: page.map((a) => ({ id: `act_${a.accountId}`, account_id: a.accountId, name: a.name, account_status: 1 })), paging } };
      }),
    )
    .add(
      'POST',
      '/:version/act_:account/customaudiences',
      guard((req, params) => {
        const account = state.accounts.get(params.account);
        if (!account) throw unknownObject(`act_${params.account}`, req.method);
        const headers = spendCall(account.accountId);
        if (!account.termsAccepted) throw termsNotAccepted();
        const name = stringParam(req, 'name');
        const subtype = stringParam(req, 'subtype');
        const source = stringParam(req, 'customer_file_source');
        if (!name) throw badParameter('The parameter name is required');
        if (subtype !== 'CUSTOM') throw badParameter('Only subtype CUSTOM (customer list) audiences can be created with these parameters');
        if (!source || !['USER_PROVIDED_ONLY', 'PARTNER_PROVIDED_ONLY', 'BOTH_USER_AND_PARTNER_PROVIDED'].includes(source)) {
          throw badParameter('customer_file_source must be USER_PROVIDED_ONLY, PARTNER_PROVIDED_ONLY or BOTH_USER_AND_PARTNER_PROVIDED');
        }
        const count = [...state.audiences.values()].filter((a) => a.accountId === account.accountId && a.subtype === 'CUSTOM').length;
        if (count >= 500) throw new GraphFailure({ code: 100, message: '(#100) An ad account can have at most 500 customer file custom audiences' });
        const audience = state.createAudience(account.accountId, { name, subtype, description: stringParam(req, 'description'), customerFileSource: source });
        return { status: 200, headers, body: { id: audience.id } };
      }),
    )
    .add(
      'GET',
      '/:version/act_:account/customaudiences',
      guard((req, params) => {
        const account = state.accounts.get(params.account);
        if (!account) throw unknownObject(`act_${params.account}`, req.method);
        const fields = fieldsOf(req, ['id']);
        const { page, paging } = pageOf(req, [...state.audiences.values()].filter((a) => a.accountId === account.accountId), 500);
        return { status: 200, body: { data: page.map((a) => describeAudience(a, fields)), paging } };
      }),
    )
    .add('POST', '/:version/:id/users', guard((req, params) => (stringParam(req, 'method')?.toUpperCase() === 'DELETE' ? changeUsers('remove') : changeUsers('add'))(req, params)))
    .add('DELETE', '/:version/:id/users', guard(changeUsers('remove')))
    .add('POST', '/:version/:id/usersreplace', guard(replaceUsers))
    .add('GET', '/:version/:id', guard((req, params) => ({ status: 200, body: describeAudience(audienceOf(req, params.id), fieldsOf(req, ['id'])) })))
    .add(
      'DELETE',
      '/:version/:id',
      guard((req, params) => {
        const audience = audienceOf(req, params.id);
        const headers = spendCall(audience.accountId);
        state.audiences.delete(audience.id);
        return { status: 200, headers, body: { success: true } };
      }),
    );

  inspection
    .add('GET', '/_emulator/audiences', () => ({
      status: 200,
      body: { audiences: [...state.audiences.values()].map((a) => ({ id: a.id, accountId: a.accountId, name: a.name, subtype: a.subtype, members: a.members.size, ...a.stats })) },
    }))
    .add('GET', '/_emulator/audiences/:id', (req, params) => {
      const audience = state.audiences.get(params.id);
      if (!audience) return { status: 404, body: { error: `no audience ${params.id}` } };
      const offset = Number(req.query.get('offset') ?? 0);
      const limit = Math.min(Number(req.query.get('limit') ?? 10_000), 100_000);
      return {
        status: 200,
        body: { id: audience.id, name: audience.name, subtype: audience.subtype, style: audience.style ?? null, count: audience.members.size, checksum: audience.members.checksum(), ...audience.stats, replaceInProgress: Boolean(replaceRunning(audience)), members: audience.members.page(offset, limit) },
      };
    })
    .add('POST', '/_emulator/tokens/expire', (req) => {
      const only = typeof req.body.token === 'string' ? req.body.token : undefined;
      let expired = 0;
      for (const [token, t] of state.tokens) {
        if (only && token !== only) continue;
        t.expiresAt = Date.now() - 1;
        expired += 1;
      }
      return { status: 200, body: { expired } };
    })
    .add('POST', '/_emulator/accounts/:id', (req, params) => {
      const account = state.accounts.get(params.id);
      if (!account) return { status: 404, body: { error: `no ad account ${params.id}` } };
      if (typeof req.body.termsAccepted === 'boolean') account.termsAccepted = req.body.termsAccepted;
      return { status: 200, body: { accountId: account.accountId, termsAccepted: account.termsAccepted } };
    });

  return {
    name: 'facebook',
    state,
    api,
    inspection,
    faults,
    faultResponse: (kind, req) =>
      kind === 'server-error'
        ? graphError({ code: 2, status: 500, message: 'An unexpected error has occurred. Please retry your request later.' })
        : graphError({ code: 80003, subcode: 2446079, message: '(#80003) There have been too many calls to this ad-account. Wait a bit and try again.', headers: usageHeader(accountIdOf(req.path), 100, 0) }),
    scriptedFault: (input) => {
      const error = scriptedGraphError(input);
      return (req) => graphError(error(accountIdOf(req.path)));
    },
    notFound: (req) => graphError({ code: 100, message: `Unknown path components: ${req.path}` }),
    badRequest: (message) => graphError({ code: 100, message: `(#100) ${message}` }),
    errorCodeOf: (response) => (response.body as { error?: { code?: number } } | null)?.error?.code,
    reset: () => state.load(),
  };
}
