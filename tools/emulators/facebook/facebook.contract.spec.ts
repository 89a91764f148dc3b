import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Emulators, startEmulators } from '../main';
import { memberKey } from '../members';
import { matches } from '../matching';

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const CUSTOM = '23850000000000001';
const WEBSITE = '23850000000000002';
const TERMS_PENDING = '23850000000000004';

describe('Facebook Graph API emulator contract', () => {
  let emulators: Emulators;
  let base: string;
  let token: string;

  async function call(method: string, path: string, params: Record<string, unknown> = {}, as: 'form' | 'json' | 'query' = 'form') {
    const withToken = { access_token: token, ...params };
    const encode = (p: Record<string, unknown>) =>
      new URLSearchParams(Object.entries(p).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    let url = `${base}${path}`;
    const init: RequestInit = { method };
    if (as === 'query' || method === 'GET') url += `?${encode(withToken)}`;
    else if (as === 'json') init.body = JSON.stringify(withToken);
    else init.body = encode(withToken);
    if (as === 'json') init.headers = { 'content-type': 'application/json' };
    else if (as === 'form' && method !== 'GET') init.headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const response = await fetch(url, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }

  async function login(): Promise<string> {
    const redirect = 'http://127.0.0.1:1/callback';
    const dialog = await fetch(`${base}/dialog/oauth?client_id=emulator-app-id&redirect_uri=${encodeURIComponent(redirect)}&state=xyz&scope=ads_management`, { redirect: 'manual' });
    expect(dialog.status).toBe(302);
    const location = new URL(dialog.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code')!;
    const short = await fetch(`${base}/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent(redirect)}&code=${code}`);
    const shortBody = (await short.json()) as any;
    expect(shortBody).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), expires_in: expect.any(Number) });
    const reused = await fetch(`${base}/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent(redirect)}&code=${code}`);
    expect(((await reused.json()) as any).error).toMatchObject({ code: 100, error_subcode: 36009 });
    const long = await fetch(`${base}/oauth/access_token?grant_type=fb_exchange_token&client_id=emulator-app-id&client_secret=emulator-app-secret&fb_exchange_token=${shortBody.access_token}`);
    const longBody = (await long.json()) as any;
    expect(longBody.expires_in).toBeGreaterThan(50 * 24 * 3600);
    return longBody.access_token;
  }

  /** A long-lived token from another emulator, through its sign-in dialog and code exchange. */
  async function signIn(other: Emulators): Promise<string> {
    const redirect = 'http://x/cb';
    const dialog = await fetch(`${other.facebook.url}/v27.0/dialog/oauth?client_id=emulator-app-id&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
    const exchange = await fetch(`${other.facebook.url}/v27.0/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent(redirect)}&code=${code}`);
    return ((await exchange.json()) as any).access_token;
  }

  const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => [sha(`user${from + i}@example.com`), sha(`1650555${String(from + i).padStart(4, '0')}`)]);
  const payload = (data: string[][], schema = ['EMAIL', 'PHONE']) => ({ schema, data });
  const members = async (id: string) => (await (await fetch(`${emulators.facebook.url}/_emulator/audiences/${id}?limit=100000`)).json()) as any;

  beforeAll(async () => {
    emulators = await startEmulators();
    base = `${emulators.facebook.url}/v27.0`;
    token = await login();
  });
  afterAll(() => emulators.close());
  beforeEach(async () => {
    await fetch(`${emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0, serverErrorRate: 0, serverErrorsNext: 0, rateLimitNext: 0, rateLimitForMs: 0 }) });
  });

  describe('OAuth and tokens', () => {
    it('rejects a wrong redirect_uri and a wrong client secret at code exchange', async () => {
      const dialog = await fetch(`${base}/dialog/oauth?client_id=emulator-app-id&redirect_uri=${encodeURIComponent('http://a/cb')}&state=s`, { redirect: 'manual' });
      const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
      const wrongRedirect = await fetch(`${base}/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent('http://b/cb')}&code=${code}`);
      expect(((await wrongRedirect.json()) as any).error).toMatchObject({ code: 100, error_subcode: 36008 });
      const wrongSecret = await fetch(`${base}/oauth/access_token?client_id=emulator-app-id&client_secret=nope&redirect_uri=${encodeURIComponent('http://a/cb')}&code=${code}`);
      expect(((await wrongSecret.json()) as any).error.code).toBe(1);
      const unknownClient = await fetch(`${base}/dialog/oauth?client_id=other&redirect_uri=x`, { redirect: 'manual' });
      expect(unknownClient.status).toBe(400);
    });

    it('redeems a code issued with a PKCE S256 challenge only with its code_verifier', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const redirect = encodeURIComponent('http://a/pkce');
      const codeFor = async () =>
        new URL((await fetch(`${base}/dialog/oauth?client_id=emulator-app-id&redirect_uri=${redirect}&code_challenge=${challenge}&code_challenge_method=S256`, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
      const exchange = async (code: string, verifierParam: string) =>
        (await fetch(`${base}/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${redirect}&code=${code}${verifierParam}`)).json() as Promise<any>;
      expect((await exchange(await codeFor(), '')).error).toMatchObject({ code: 100, message: expect.stringMatching(/code_verifier/) });
      expect((await exchange(await codeFor(), `&code_verifier=${randomBytes(32).toString('base64url')}`)).error).toMatchObject({ code: 100 });
      expect(await exchange(await codeFor(), `&code_verifier=${verifier}`)).toMatchObject({ access_token: expect.any(String) });
    });

    it('answers 190 for an unknown token, 190/463 for an expired one, 104 without one', async () => {
      const bad = await call('GET', '/me/adaccounts', { access_token: 'EAAnot-a-token' });
      expect(bad.status).toBe(401);
      expect(bad.body.error).toMatchObject({ code: 190, type: 'OAuthException', fbtrace_id: expect.any(String) });
      const none = await fetch(`${base}/me/adaccounts`);
      expect(((await none.json()) as any).error.code).toBe(104);
      const doomed = await login();
      await fetch(`${emulators.facebook.url}/_emulator/tokens/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: doomed }) });
      const expired = await call('GET', '/me/adaccounts', { access_token: doomed });
      expect(expired.body.error).toMatchObject({ code: 190, error_subcode: 463 });
    });

    it('accepts a bearer header and checks appsecret_proof when sent', async () => {
      const viaHeader = await fetch(`${base}/me/adaccounts`, { headers: { authorization: `Bearer ${token}` } });
      expect(viaHeader.status).toBe(200);
      const proof = createHmac('sha256', 'emulator-app-secret').update(token).digest('hex');
      expect((await call('GET', '/me/adaccounts', { appsecret_proof: proof })).status).toBe(200);
      expect((await call('GET', '/me/adaccounts', { appsecret_proof: '0'.repeat(64) })).body.error.code).toBe(100);
    });

    it('with "Require App Secret" on, refuses a call with a token but no proof (100, GraphMethodException) and takes a valid one; the OAuth exchanges need none', async () => {
      const strict = await startEmulators({ facebookSeed: { requireAppSecretProof: true } });
      try {
        const t = await signIn(strict); // code and token exchanges: client_secret, no proof
        const strictCall = (params: Record<string, string>) => fetch(`${strict.facebook.url}/v27.0/me/adaccounts?${new URLSearchParams({ access_token: t, ...params })}`);
        const without = await strictCall({});
        expect(without.status).toBe(400);
        expect(((await without.json()) as any).error).toMatchObject({ code: 100, type: 'GraphMethodException', message: 'API calls from the server require an appsecret_proof argument' });
        const wrong = (await (await strictCall({ appsecret_proof: '0'.repeat(64) })).json()) as any;
        expect(wrong.error).toMatchObject({ code: 100, message: 'Invalid appsecret_proof provided in the API argument' });
        expect((await strictCall({ appsecret_proof: createHmac('sha256', 'emulator-app-secret').update(t).digest('hex') })).status).toBe(200);
      } finally {
        await strict.close();
      }
    });

    it('answers 2635 for a deprecated API version', async () => {
      const old = await fetch(`${emulators.facebook.url}/v12.0/me/adaccounts?access_token=${token}`);
      expect(((await old.json()) as any).error.code).toBe(2635);
    });
  });

  describe('ad accounts and audiences', () => {
    it('lists ad accounts', async () => {
      const { body } = await call('GET', '/me/adaccounts', { fields: 'id,account_id,name,account_status' });
      expect(body.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'act_1001', account_id: '1001', account_status: 1 })]));
    });

    it('pages ad accounts as Graph pages an edge: 25 by default, `limit` more, paging.next while more follow', async () => {
      const many = await startEmulators({ facebookSeed: { adAccounts: Array.from({ length: 30 }, (_, i) => ({ accountId: String(5000 + i), name: `account ${i}` })) } });
      try {
        const t = await signIn(many);
        const page = async (params: Record<string, string>) => (await (await fetch(`${many.facebook.url}/v27.0/me/adaccounts?${new URLSearchParams({ access_token: t, ...params })}`)).json()) as any;
        const first = await page({});
        expect(first.data).toHaveLength(25);
        expect(first.paging.next).toBeDefined();
        const rest = await page({ after: first.paging.cursors.after });
        expect(rest.data).toHaveLength(5);
        expect(rest.paging.next).toBeUndefined();
        expect((await page({ limit: '100' })).data).toHaveLength(30);
      } finally {
        await many.close();
      }
    });

    it('lists audiences of several subtypes with paging and reads one', async () => {
      const first = await call('GET', '/act_1001/customaudiences', { fields: 'id,name,subtype', limit: 2 });
      expect(first.body.data).toHaveLength(2);
      expect(first.body.paging.next).toBeDefined();
      const second = await call('GET', '/act_1001/customaudiences', { fields: 'id,name,subtype', limit: 2, after: first.body.paging.cursors.after });
      const subtypes = [...first.body.data, ...second.body.data].map((a: any) => a.subtype);
      expect(subtypes).toEqual(expect.arrayContaining(['CUSTOM', 'WEBSITE', 'LOOKALIKE']));
      const one = await call('GET', `/${CUSTOM}`, { fields: 'id,name,subtype,data_source,operation_status' });
      expect(one.body).toMatchObject({ id: CUSTOM, subtype: 'CUSTOM', operation_status: { code: 200 } });
      expect((await call('GET', '/99999', { fields: 'id' })).body.error).toMatchObject({ code: 100, error_subcode: 33 });
    });

    it('creates a customer-list audience and refuses bad parameters and unaccepted terms', async () => {
      const created = await call('POST', '/act_1001/customaudiences', { name: 'New list', subtype: 'CUSTOM', description: 'd', customer_file_source: 'USER_PROVIDED_ONLY' });
      expect(created.body.id).toMatch(/^\d+$/);
      expect((await call('GET', `/${created.body.id}`, { fields: 'subtype,data_source' })).body).toEqual({ subtype: 'CUSTOM', data_source: { type: 'UNKNOWN', sub_type: 'ANYTHING' } });
      expect((await call('POST', '/act_1001/customaudiences', { name: 'x', subtype: 'CUSTOM' })).body.error.code).toBe(100);
      expect((await call('POST', '/act_1001/customaudiences', { subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' })).body.error.code).toBe(100);
      expect((await call('POST', '/act_1002/customaudiences', { name: 'x', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' })).body.error).toMatchObject({ code: 200, error_subcode: 1870090 });
      expect((await call('POST', '/act_9/customaudiences', { name: 'x', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' })).body.error.code).toBe(100);
    });

    it('deletes an audience; afterwards every call on it answers 100/33 as for an object that does not exist or cannot be seen', async () => {
      const { body: created } = await call('POST', '/act_1001/customaudiences', { name: 'Doomed', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      const id = created.id;
      await call('POST', `/${id}/users`, { payload: payload(rows(2)) });
      expect((await call('DELETE', `/${id}`)).body).toEqual({ success: true });
      const gone = (method: string) => ({
        code: 100,
        error_subcode: 33,
        type: 'GraphMethodException',
        message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
      expect((await call('GET', `/${id}`, { fields: 'id,subtype' })).body.error).toMatchObject(gone('get'));
      expect((await call('POST', `/${id}/users`, { payload: payload(rows(1)) })).body.error).toMatchObject(gone('post'));
      expect((await call('DELETE', `/${id}/users`, { payload: payload(rows(1)) })).body.error).toMatchObject(gone('delete'));
      expect((await call('POST', `/${id}/usersreplace`, { payload: payload(rows(1)), session: { session_id: 7, batch_seq: 1, last_batch_flag: true } })).body.error).toMatchObject(gone('post'));
      expect((await call('DELETE', `/${id}`)).body.error).toMatchObject(gone('delete'));
      expect((await call('GET', '/act_1001/customaudiences', { fields: 'id', limit: 500 })).body.data.map((a: any) => a.id)).not.toContain(id);
    });
  });

  describe('adding and removing users', () => {
    it('adds rows from a form body, a JSON body and the query string, and removes them by DELETE and method=DELETE', async () => {
      const { body: created } = await call('POST', '/act_1001/customaudiences', { name: 'Members', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      const id = created.id;
      const form = await call('POST', `/${id}/users`, { payload: payload(rows(3)) }, 'form');
      expect(form.body).toMatchObject({ audience_id: id, num_received: 3, num_invalid_entries: 0, invalid_entry_samples: {} });
      expect(form.body.session_id).toBeDefined();
      await call('POST', `/${id}/users`, { payload: payload(rows(2, 3)) }, 'json');
      await call('POST', `/${id}/users`, { payload: payload(rows(1, 5)) }, 'query');
      expect((await members(id)).count).toBe(6);
      await call('DELETE', `/${id}/users`, { payload: payload(rows(1)) });
      await call('POST', `/${id}/users`, { method: 'DELETE', payload: payload(rows(1, 1)) });
      const after = await members(id);
      expect(after.count).toBe(4);
      expect(after.members.sort()).toEqual(rows(4, 2).map(memberKey).sort());
    });

    it('counts plain values and empty rows as invalid entries, keyed by data, and keeps MADID/EXTERN_ID unhashed', async () => {
      const { body } = await call('POST', '/act_1001/customaudiences', { name: 'Invalid', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      const result = await call('POST', `/${body.id}/users`, {
        payload: { schema: ['EMAIL', 'MADID', 'EXTERN_ID'], data: [[sha('a@b.example'), '', ''], ['mary@example.com', '', ''], ['', '', ''], ['', 'aaaa-bbbb', 'crm-1'], [sha('x').toUpperCase(), '', '']] },
      });
      expect(result.body.num_received).toBe(5);
      expect(result.body.num_invalid_entries).toBe(3);
      expect(Object.keys(result.body.invalid_entry_samples)).toContain('mary@example.com');
      expect((await members(body.id)).count).toBe(2);
    });

    it('reports the size after matching in Meta-style bounds, 441 (populating) right after an upload, 300 below 100 people', async () => {
      const { id } = (await call('POST', '/act_1001/customaudiences', { name: 'Sized', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' })).body;
      const fields = { fields: 'approximate_count_lower_bound,approximate_count_upper_bound,operation_status,delivery_status' };
      expect((await call('GET', `/${id}`, fields)).body).toMatchObject({ approximate_count_lower_bound: 0, approximate_count_upper_bound: 1000, operation_status: { code: 200 }, delivery_status: { code: 300 } });
      for (let from = 0; from < 5000; from += 2500) await call('POST', `/${id}/users`, { payload: payload(rows(2500, from)) }, 'json');
      const matched = rows(5000).filter((r) => matches(memberKey(r))).length;
      expect(matched / 5000).toBeCloseTo(0.81, 1);
      const sized = (await call('GET', `/${id}`, fields)).body;
      expect(sized.operation_status).toEqual({ code: 441, description: 'Audience is being populated' });
      expect(sized.delivery_status.code).toBe(200);
      expect(sized.approximate_count_lower_bound).toBeLessThanOrEqual(matched);
      expect(sized.approximate_count_upper_bound).toBeGreaterThanOrEqual(matched);
      expect(sized.approximate_count_upper_bound - sized.approximate_count_lower_bound).toBeLessThanOrEqual(matched * 0.06);
      expect(String(sized.approximate_count_lower_bound)).toMatch(/^\d{2}0+$/);
      emulators.facebook.state.audiences.get(id)!.uploadedAt = 0;
      expect((await call('GET', `/${id}`, fields)).body.operation_status.code).toBe(200);
    });

    it('refuses malformed payloads with code 100: unknown schema key, duplicate key, row width, more than 10,000 rows', async () => {
      const bad = async (p: unknown) => (await call('POST', `/${CUSTOM}/users`, { payload: p })).body.error.code;
      expect(await bad({ schema: ['EMAIL', 'SHOE_SIZE'], data: [['', '']] })).toBe(100);
      expect(await bad({ schema: ['EMAIL', 'EMAIL'], data: [['', '']] })).toBe(100);
      expect(await bad({ schema: ['EMAIL', 'PHONE'], data: [[sha('a')]] })).toBe(100);
      expect(await bad({ schema: ['EMAIL'], data: Array.from({ length: 10_001 }, () => [sha('a')]) })).toBe(100);
      expect(await bad(undefined)).toBe(100);
      expect(await bad('{not json')).toBe(100);
    });

    it('refuses uploads to a non-customer-list audience (2650) and to an account without accepted terms (200/1870090)', async () => {
      expect((await call('POST', `/${WEBSITE}/users`, { payload: payload(rows(1)) })).body.error.code).toBe(2650);
      expect((await call('POST', `/${TERMS_PENDING}/users`, { payload: payload(rows(1)) })).body.error).toMatchObject({ code: 200, error_subcode: 1870090 });
    });

    it('refuses a single-key upload after a multi-key one (2650)', async () => {
      const { body } = await call('POST', '/act_1001/customaudiences', { name: 'Style', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      await call('POST', `/${body.id}/users`, { payload: payload(rows(1)) });
      const single = await call('POST', `/${body.id}/users`, { payload: { schema: 'EMAIL_SHA256', data: [sha('z@z.example')] } });
      expect(single.body.error.code).toBe(2650);
      expect(single.body.error.message).toMatch(/MULTI_HASHES/);
    });

    it('handles a 10,000-row request in a few milliseconds', async () => {
      const { body } = await call('POST', '/act_1001/customaudiences', { name: 'Big', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      const data = payload(rows(10_000));
      await call('POST', `/${body.id}/users`, { payload: data }, 'json');
      const started = performance.now();
      const result = await call('POST', `/${body.id}/users`, { payload: payload(rows(10_000, 10_000)) }, 'json');
      const ms = performance.now() - started;
      expect(result.body.num_received).toBe(10_000);
      expect((await members(body.id)).count).toBe(20_000);
      expect(ms).toBeLessThan(1000); // generous bound for CI; the benchmark prints the real figure
    });
  });

  describe('replace sessions', () => {
    async function fresh(name: string) {
      const { body } = await call('POST', '/act_1001/customaudiences', { name, subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
      await call('POST', `/${body.id}/users`, { payload: payload(rows(5)) });
      return body.id as string;
    }

    it('replaces all members when the last batch arrives, keeping old members until then', async () => {
      const id = await fresh('Replace');
      const session = (seq: number, last: boolean) => ({ session_id: 777001, batch_seq: seq, last_batch_flag: last, estimated_num_total: 4 });
      const first = await call('POST', `/${id}/usersreplace`, { payload: payload(rows(2, 100)), session: session(1, false) });
      expect(first.body).toMatchObject({ session_id: '777001', num_received: 2 });
      expect((await members(id)).count).toBe(5);
      expect((await members(id)).replaceInProgress).toBe(true);
      expect((await call('GET', `/${id}`, { fields: 'operation_status' })).body.operation_status.code).toBe(414);
      const last = await call('POST', `/${id}/usersreplace`, { payload: payload(rows(2, 102)), session: session(2, true) });
      expect(last.body.num_received).toBe(4);
      const after = await members(id);
      expect(after.members.sort()).toEqual(rows(4, 100).map(memberKey).sort());
      expect(after.replaceInProgress).toBe(false);
    });

    it('enforces the session rules with 2650 and their subcodes', async () => {
      const id = await fresh('Rules');
      const post = (session: unknown, schema?: string[]) => call('POST', `/${id}/usersreplace`, { payload: payload(schema ? [[sha('a')]] : rows(1), schema), session });
      expect((await call('POST', `/${id}/usersreplace`, { payload: payload(rows(1)) })).body.error.code).toBe(100);
      expect((await post({ session_id: 1, batch_seq: 2, last_batch_flag: false })).body.error).toMatchObject({ code: 2650, error_subcode: 1870147 });
      await post({ session_id: 2, batch_seq: 1, last_batch_flag: false });
      expect((await post({ session_id: 3, batch_seq: 1, last_batch_flag: false })).body.error).toMatchObject({ code: 2650, error_subcode: 1870145 });
      expect((await call('POST', `/${id}/users`, { payload: payload(rows(1)) })).body.error).toMatchObject({ code: 2650, error_subcode: 1870145 });
      expect((await call('DELETE', `/${id}/users`, { payload: payload(rows(1)) })).body.error).toMatchObject({ code: 2650, error_subcode: 1870145 });
      expect((await post({ session_id: 2, batch_seq: 2, last_batch_flag: false }, ['EMAIL'])).body.error.code).toBe(2650);
      await post({ session_id: 2, batch_seq: 2, last_batch_flag: true });
      expect((await post({ session_id: 2, batch_seq: 3, last_batch_flag: true })).body.error).toMatchObject({ code: 2650, error_subcode: 1870159 });
      expect((await call('POST', `/${WEBSITE}/usersreplace`, { payload: payload(rows(1)), session: { session_id: 9, batch_seq: 1 } })).body.error.code).toBe(2650);
    });

    it('refuses a replace request without rows (100) and keeps how session_id was sent', async () => {
      const id = await fresh('Empty');
      const empty = await call('POST', `/${id}/usersreplace`, { payload: payload([]), session: { session_id: 880001, batch_seq: 1, last_batch_flag: true } }, 'json');
      expect(empty.body.error.code).toBe(100);
      expect(emulators.facebook.state.sessions.get('880001')).toBeUndefined();
      await call('POST', `/${id}/usersreplace`, { payload: payload(rows(1)), session: { session_id: 880002, batch_seq: 1, last_batch_flag: true } }, 'json');
      await call('POST', `/${id}/usersreplace`, { payload: payload(rows(1)), session: { session_id: '880003', batch_seq: 1, last_batch_flag: true } }, 'json');
      expect([emulators.facebook.state.sessions.get('880002')?.idSentAs, emulators.facebook.state.sessions.get('880003')?.idSentAs]).toEqual(['number', 'string']);
    });

    it('times a session out (1870158) after the configured time', async () => {
      const short = await startEmulators({ facebookSeed: { replaceSessionTimeoutMs: 50 } });
      const redirect = 'http://x/cb';
      const dialog = await fetch(`${short.facebook.url}/v27.0/dialog/oauth?client_id=emulator-app-id&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
      const code = new URL(dialog.headers.get('location')!).searchParams.get('code');
      const t = ((await (await fetch(`${short.facebook.url}/v27.0/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent(redirect)}&code=${code}`)).json()) as any).access_token;
      const send = (seq: number) =>
        fetch(`${short.facebook.url}/v27.0/${CUSTOM}/usersreplace`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: t, payload: payload(rows(1)), session: { session_id: 5, batch_seq: seq, last_batch_flag: false } }) });
      await send(1);
      await new Promise((r) => setTimeout(r, 80));
      expect(((await (await send(2)).json()) as any).error).toMatchObject({ code: 2650, error_subcode: 1870158 });
      await short.close();
    });
  });

  describe('rate limits and injected faults', () => {
    it('answers 80003 with x-business-use-case-usage once the per-account call budget is spent', async () => {
      const tight = await startEmulators({ facebookSeed: { callsPerAccountPerHour: 2 } });
      const redirect = 'http://x/cb';
      const dialog = await fetch(`${tight.facebook.url}/v27.0/dialog/oauth?client_id=emulator-app-id&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
      const code = new URL(dialog.headers.get('location')!).searchParams.get('code');
      const t = ((await (await fetch(`${tight.facebook.url}/v27.0/oauth/access_token?client_id=emulator-app-id&client_secret=emulator-app-secret&redirect_uri=${encodeURIComponent(redirect)}&code=${code}`)).json()) as any).access_token;
      const upload = () => fetch(`${tight.facebook.url}/v27.0/${CUSTOM}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: t, payload: payload(rows(1)) }) });
      expect((await upload()).status).toBe(200);
      expect((await upload()).status).toBe(200);
      const limited = await upload();
      expect(limited.status).toBe(400);
      expect(((await limited.json()) as any).error).toMatchObject({ code: 80003, error_subcode: 2446079 });
      const usage = JSON.parse(limited.headers.get('x-business-use-case-usage')!);
      expect(usage['1001'][0].estimated_time_to_regain_access).toBeGreaterThan(0);
      await tight.close();
    });

    it('answers scripted Graph errors in order, each for its number of calls, in Graph\'s envelope, then serves again', async () => {
      const admin = (body: unknown) => fetch(`${emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const queued = (await (await admin({ errorsNext: [{ code: 613, times: 2, regainAccessMinutes: 7 }, { code: 1 }, { code: 190, subcode: 460 }] })).json()) as any;
      expect(queued.scriptedErrorsPending).toBe(4);
      const upload = () => call('POST', `/${CUSTOM}/users`, { payload: payload(rows(1)) }, 'json');
      for (let i = 0; i < 2; i += 1) {
        const limited = await upload();
        expect(limited.status).toBe(400);
        expect(limited.body.error).toMatchObject({ code: 613, type: 'OAuthException', message: expect.stringContaining('#613'), fbtrace_id: expect.any(String) });
        expect(JSON.parse(limited.headers.get('x-business-use-case-usage')!)['1001'][0]).toMatchObject({ type: 'custom_audience', estimated_time_to_regain_access: 7 });
      }
      const transient = await upload();
      expect(transient.status).toBe(500);
      expect(transient.body.error).toMatchObject({ code: 1, is_transient: true });
      expect(transient.headers.get('x-business-use-case-usage')).toBeNull();
      const revoked = await upload();
      expect(revoked.status).toBe(401);
      expect(revoked.body.error).toMatchObject({ code: 190, error_subcode: 460 });
      expect((await upload()).status).toBe(200);
      expect(((await (await fetch(`${emulators.facebook.url}/_emulator/faults`)).json()) as any).scriptedErrorsPending).toBe(0);
    });

    it('refuses a scripted error it cannot read, queuing none of the request', async () => {
      const admin = (body: unknown) => fetch(`${emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await admin({ errorsNext: [{ code: 4 }, { code: 'four' }] })).status).toBe(400);
      expect((await admin({ errorsNext: [{ code: 4, times: 0 }] })).status).toBe(400);
      const microsoft = await fetch(`${emulators.microsoft.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorsNext: [{ code: 4 }] }) });
      expect(microsoft.status).toBe(400); // an emulator without scripted errors says so rather than ignoring them
      expect(((await (await fetch(`${emulators.facebook.url}/_emulator/faults`)).json()) as any).scriptedErrorsPending).toBe(0);
      expect((await call('GET', '/me/adaccounts')).status).toBe(200);
    });

    it('injects server errors, rate limits and latency at run time, and logs requests without bodies', async () => {
      const admin = (body: unknown) => fetch(`${emulators.facebook.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await admin({ serverErrorsNext: 1, rateLimitNext: 1 });
      const failed = await call('GET', '/me/adaccounts');
      expect(failed.status).toBe(500);
      expect(failed.body.error).toMatchObject({ code: 2, is_transient: true });
      expect((await call('GET', '/me/adaccounts')).body.error.code).toBe(80003);
      expect((await call('GET', '/me/adaccounts')).status).toBe(200);
      await admin({ latencyMs: 150 });
      const started = Date.now();
      await call('GET', '/me/adaccounts');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      await admin({ latencyMs: 0 });
      const log = (await (await fetch(`${emulators.facebook.url}/_emulator/requests?limit=5`)).json()) as any;
      expect(log.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v27.0/me/adaccounts', status: 200 });
      expect(JSON.stringify(log)).not.toContain(token);
    });
  });
});
