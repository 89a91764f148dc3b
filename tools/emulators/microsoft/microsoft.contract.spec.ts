import { createHash, randomBytes } from 'node:crypto';
import { Emulators, startEmulators } from '../main';

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const CUSTOMER = '1000001';
const ACCOUNT = '2000001';
const NO_TERMS = '2000002';

describe('Microsoft Advertising emulator contract', () => {
  let emulators: Emulators;
  let base: string;
  let oauth: string;
  let tokens: { access_token: string; refresh_token: string };

  async function authorizeAndExchange() {
    const redirect = 'http://127.0.0.1:1/cb';
    const authorize = await fetch(`${oauth}/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirect)}&response_mode=query&scope=${encodeURIComponent('openid offline_access https://ads.microsoft.com/msads.manage')}&state=st8`, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st8');
    return token({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: redirect, scope: 'https://ads.microsoft.com/msads.manage offline_access' });
  }

  async function token(form: Record<string, string>) {
    const response = await fetch(`${oauth}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'emulator-client-id', client_secret: 'emulator-client-secret', ...form }) });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function call(path: string, body: unknown, headers: Record<string, string | undefined> = {}) {
    const all: Record<string, string | undefined> = { 'content-type': 'application/json', Authorization: `Bearer ${tokens.access_token}`, DeveloperToken: 'BBD37VB98', CustomerId: CUSTOMER, CustomerAccountId: ACCOUNT, ...headers };
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>, body: JSON.stringify(body) });
    return { status: response.status, trackingId: response.headers.get('trackingid'), body: (await response.json()) as any };
  }

  const apply = (audienceId: string, action: string, items: unknown[], extra: Record<string, unknown> = {}, headers: Record<string, string | undefined> = {}) =>
    call('/CustomerListUserData/Apply', { CustomerListUserData: { ActionType: action, AudienceId: audienceId, CustomerListItemSubType: 'Email', CustomerListItems: items, AcceptCustomerMatchTerm: true, ...extra } }, headers);
  const create = async (name: string, headers: Record<string, string> = {}) => call('/Audiences', { Audiences: [{ Name: name, Type: 'CustomerList', Scope: 'Account', ParentId: ACCOUNT, MembershipDuration: 30 }] }, headers);
  const members = async (id: string) => (await (await fetch(`${emulators.microsoft.url}/_emulator/audiences/${id}`)).json()) as any;
  const emails = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sha(`user${from + i}@example.com`));

  beforeAll(async () => {
    emulators = await startEmulators();
    base = `${emulators.microsoft.url}/CampaignManagement/v13`;
    oauth = `${emulators.microsoft.url}/common/oauth2/v2.0`;
    const exchanged = await authorizeAndExchange();
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, access_token: expect.any(String), refresh_token: expect.any(String) });
    tokens = exchanged.body;
  });
  afterAll(() => emulators.close());

  describe('OAuth', () => {
    it('rotates refresh tokens: the used one stops working', async () => {
      const first = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'https://ads.microsoft.com/msads.manage offline_access' });
      expect(first.status).toBe(200);
      expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
      const reused = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      tokens = first.body;
    });

    it('refuses a used code, a wrong client secret and an unknown grant', async () => {
      expect((await token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'x' })).body.error).toBe('invalid_grant');
      const wrong = await fetch(`${oauth}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'emulator-client-id', client_secret: 'bad', grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) });
      expect(wrong.status).toBe(401);
      expect((await token({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    });

    describe('PKCE', () => {
      const redirect = 'http://127.0.0.1:1/pkce';
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const codeFor = async (query: string) => {
        const authorize = await fetch(`${oauth}/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirect)}&${query}`, { redirect: 'manual' });
        return new URL(authorize.headers.get('location')!).searchParams;
      };
      const exchange = (code: string, extra: Record<string, string> = {}) => token({ grant_type: 'authorization_code', code, redirect_uri: redirect, ...extra });

      it('redeems a code issued with an S256 challenge only with its verifier (AADSTS50148 otherwise)', async () => {
        const missing = await exchange((await codeFor(`code_challenge=${challenge}&code_challenge_method=S256`)).get('code')!);
        expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [50148], error_description: expect.stringMatching(/^AADSTS50148: /) } });
        const wrong = await exchange((await codeFor(`code_challenge=${challenge}&code_challenge_method=S256`)).get('code')!, { code_verifier: randomBytes(32).toString('base64url') });
        expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [50148] } });
        const right = await exchange((await codeFor(`code_challenge=${challenge}&code_challenge_method=S256`)).get('code')!, { code_verifier: verifier });
        expect(right).toMatchObject({ status: 200, body: { access_token: expect.any(String) } });
      });

      it('treats a challenge without a method as plain, and refuses an unknown method at the dialog', async () => {
        const plain = (await codeFor(`code_challenge=${verifier}`)).get('code')!;
        expect((await exchange(plain, { code_verifier: verifier })).status).toBe(200);
        const unknown = await codeFor(`code_challenge=${challenge}&code_challenge_method=S512&state=s1`);
        expect(Object.fromEntries(unknown)).toMatchObject({ error: 'invalid_request', state: 's1', error_description: expect.stringMatching(/code_challenge_method/) });
      });
    });
  });

  describe('headers and tokens', () => {
    it('answers 116 when a required header is missing, with a TrackingId', async () => {
      for (const header of ['Authorization', 'DeveloperToken', 'CustomerId', 'CustomerAccountId']) {
        const result = await call('/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' }, { [header]: undefined });
        expect(result.status).toBe(400);
        expect(result.body).toMatchObject({ Type: 'AdApiFaultDetail', Errors: [{ Code: 116, ErrorCode: 'RequestMissingHeaders' }] });
        expect(result.trackingId).toMatch(/[0-9a-f-]{36}/);
      }
    });

    it('answers 105 for a bad token or developer token, 109 for an expired token, 106 for a foreign account', async () => {
      expect((await call('/Audiences/QueryByIds', {}, { Authorization: 'Bearer nope' })).body.Errors[0].Code).toBe(105);
      expect((await call('/Audiences/QueryByIds', {}, { DeveloperToken: 'nope' })).body.Errors[0].Code).toBe(105);
      expect((await call('/Audiences/QueryByIds', {}, { CustomerAccountId: '999' })).body.Errors[0].Code).toBe(106);
      const spare = await authorizeAndExchange();
      await fetch(`${emulators.microsoft.url}/_emulator/tokens/expire`, { method: 'POST' });
      const expired = await call('/Audiences/QueryByIds', {}, { Authorization: `Bearer ${spare.body.access_token}` });
      expect(expired).toMatchObject({ status: 401, body: { Type: 'AdApiFaultDetail', Errors: [{ Code: 109, ErrorCode: 'AuthenticationTokenExpired' }] } });
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      tokens = refreshed.body;
      expect((await call('/Audiences/QueryByIds', {})).status).toBe(200);
    });
  });

  describe('audiences', () => {
    it('creates customer lists, refuses a duplicate name with 4853 in PartialErrors, and finds them again', async () => {
      const created = await create('Segment A');
      expect(created.body).toEqual({ AudienceIds: [expect.stringMatching(/^\d+$/)], PartialErrors: [] });
      const duplicate = await create('segment a');
      expect(duplicate.status).toBe(200);
      expect(duplicate.body).toMatchObject({ AudienceIds: [null], PartialErrors: [{ Code: 4853, ErrorCode: 'DuplicateAudienceName', Index: 0 }] });
      const all = await call('/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' });
      expect(all.body.Audiences.map((a: any) => a.Name)).toContain('Segment A');
      const some = await call('/Audiences/QueryByIds', { AudienceIds: [created.body.AudienceIds[0], '1'], Type: 'CustomerList' });
      expect(some.body.Audiences[0]).toMatchObject({ Id: created.body.AudienceIds[0], Type: 'CustomerList', Scope: 'Account' });
      expect(some.body.Audiences[1]).toBeNull();
      expect(some.body.PartialErrors[0]).toMatchObject({ Code: 4835, Index: 1 });
    });

    it('deletes audiences (DELETE /Audiences): changes to a deleted list answer 8000, its name is free again, unknown ids are 4835 by Index', async () => {
      const id = (await create('Deleted soon')).body.AudienceIds[0];
      expect((await apply(id, 'Add', emails(3))).status).toBe(200);
      const remove = async (ids: unknown[]) => {
        const response = await fetch(`${base}/Audiences`, { method: 'DELETE', headers: { 'content-type': 'application/json', Authorization: `Bearer ${tokens.access_token}`, DeveloperToken: 'BBD37VB98', CustomerId: CUSTOMER, CustomerAccountId: ACCOUNT }, body: JSON.stringify({ AudienceIds: ids }) });
        return { status: response.status, body: (await response.json()) as any };
      };
      expect(await remove([id, '1'])).toEqual({ status: 200, body: { PartialErrors: [expect.objectContaining({ Code: 4835, ErrorCode: 'InvalidAudienceId', Index: 1 })] } });
      expect((await apply(id, 'Add', emails(1))).body.OperationErrors[0]).toMatchObject({ Code: 8000, ErrorCode: 'InvalidCustomerListId' });
      expect((await call('/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' })).body.Audiences.map((a: any) => a.Name)).not.toContain('Deleted soon');
      const again = (await create('Deleted soon')).body.AudienceIds[0];
      expect(again).not.toBe(id);
      expect((await members(again)).count).toBe(0);
      expect((await remove([])).body.OperationErrors[0].Code).toBe(100);
    });

    it('reports unaccepted terms on creation as 8003 inside a 200', async () => {
      const result = await create('No terms', { CustomerAccountId: NO_TERMS });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ AudienceIds: [null], PartialErrors: [{ Code: 8003, Index: 0 }] });
    });
  });

  describe('ApplyCustomerListUserData', () => {
    let id: string;
    beforeAll(async () => {
      id = (await create('Apply target')).body.AudienceIds[0];
    });

    it('adds, removes and replaces hashed emails', async () => {
      expect((await apply(id, 'Add', emails(5))).body).toEqual({ PartialErrors: [] });
      await apply(id, 'Remove', emails(2));
      expect((await members(id)).count).toBe(3);
      await apply(id, 'Replace', emails(2, 100));
      expect((await members(id)).members.sort()).toEqual(emails(2, 100).map((d) => d.slice(0, 16)).sort());
    });

    it('maps items that are not 64-char lowercase hex back by Index with 8004, adding the rest', async () => {
      const result = await apply(id, 'Add', [sha('ok@example.com'), 'mary@example.com', sha('x').toUpperCase(), sha('ok2@example.com')]);
      expect(result.status).toBe(200);
      expect(result.body.PartialErrors.map((e: any) => [e.Code, e.Index])).toEqual([
        [8004, 1],
        [8004, 2],
      ]);
      expect((await members(id)).count).toBe(4);
    });

    it('refuses more than 1,000 items, other sub-types and action types, and unknown lists', async () => {
      expect((await apply(id, 'Add', emails(1001))).body.OperationErrors[0].Code).toBe(8005);
      expect((await apply(id, 'Add', emails(1), { CustomerListItemSubType: 'Phone' })).body.OperationErrors[0].Code).toBe(8002);
      expect((await apply(id, 'Upsert', emails(1))).body.OperationErrors[0].Code).toBe(8001);
      expect((await apply('42', 'Add', emails(1))).body.OperationErrors[0].Code).toBe(8000);
    });

    it('replaces with no items: the list is emptied; Add and Remove with no items change nothing', async () => {
      const empty = (await create('Emptied by a replace')).body.AudienceIds[0];
      await apply(empty, 'Add', emails(3));
      for (const action of ['Add', 'Remove']) expect(await apply(empty, action, [])).toEqual({ status: 200, trackingId: expect.any(String), body: { PartialErrors: [] } });
      expect((await members(empty)).count).toBe(3);
      expect(await apply(empty, 'Replace', [])).toMatchObject({ status: 200, body: { PartialErrors: [] } });
      expect((await members(empty)).count).toBe(0);
    });

    it('answers 3913 TermsAndConditionsNotAccepted as a fault when the call refuses the terms, even where they were accepted', async () => {
      const refused = await apply(id, 'Add', emails(1), { AcceptCustomerMatchTerm: false });
      expect(refused).toMatchObject({ status: 400, body: { Type: 'ApiFaultDetail', OperationErrors: [{ Code: 3913, ErrorCode: 'TermsAndConditionsNotAccepted' }] } });
    });

    it('answers 8003 as a fault when the terms are not accepted and the call does not accept them', async () => {
      await fetch(`${emulators.microsoft.url}/_emulator/accounts/${ACCOUNT}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsAccepted: false }) });
      const absent = await call('/CustomerListUserData/Apply', { CustomerListUserData: { ActionType: 'Add', AudienceId: id, CustomerListItemSubType: 'Email', CustomerListItems: emails(1) } });
      expect(absent.body.OperationErrors[0].Code).toBe(8003);
      expect((await apply(id, 'Add', emails(1))).status).toBe(200);
      const accepted = await call('/CustomerListUserData/Apply', { CustomerListUserData: { ActionType: 'Add', AudienceId: id, CustomerListItemSubType: 'Email', CustomerListItems: emails(1) } });
      expect(accepted.status).toBe(200);
    });

    it('handles a 1,000-item request in a few milliseconds', async () => {
      const started = performance.now();
      await apply(id, 'Add', emails(1000, 5000));
      expect(performance.now() - started).toBeLessThan(500); // generous bound for CI; the benchmark prints the real figure
    });
  });

  describe('call rate and faults', () => {
    it('answers 117 CallRateExceeded once the per-customer budget of the sliding minute is spent', async () => {
      const tight = await startEmulators({ microsoftSeed: { callsPerCustomerPerMinute: 2 } });
      const redirect = 'http://x/cb';
      const auth = await fetch(`${tight.microsoft.url}/common/oauth2/v2.0/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
      const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
      const t = (await (await fetch(`${tight.microsoft.url}/common/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ client_id: 'emulator-client-id', client_secret: 'emulator-client-secret', grant_type: 'authorization_code', code, redirect_uri: redirect }) })).json()) as any;
      const query = () => fetch(`${tight.microsoft.url}/CampaignManagement/v13/Audiences/QueryByIds`, { method: 'POST', headers: { 'content-type': 'application/json', Authorization: `Bearer ${t.access_token}`, DeveloperToken: 'BBD37VB98', CustomerId: CUSTOMER, CustomerAccountId: ACCOUNT }, body: '{}' });
      expect((await query()).status).toBe(200);
      expect((await query()).status).toBe(200);
      const limited = await query();
      expect(limited.status).toBe(429);
      expect(((await limited.json()) as any).OperationErrors[0]).toMatchObject({ Code: 117, ErrorCode: 'CallRateExceeded' });
      await tight.close();
    });

    it('injects server errors and rate-limit windows at run time', async () => {
      const admin = (body: unknown) => fetch(`${emulators.microsoft.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await admin({ serverErrorsNext: 1 });
      const failed = await call('/Audiences/QueryByIds', {});
      expect(failed).toMatchObject({ status: 500, body: { OperationErrors: [{ Code: 0, ErrorCode: 'InternalError' }] } });
      await admin({ rateLimitForMs: 200 });
      expect((await call('/Audiences/QueryByIds', {})).body.OperationErrors[0].Code).toBe(117);
      await new Promise((r) => setTimeout(r, 250));
      expect((await call('/Audiences/QueryByIds', {})).status).toBe(200);
      const log = (await (await fetch(`${emulators.microsoft.url}/_emulator/requests?limit=3`)).json()) as any;
      expect(log.requests.map((r: any) => r.errorCode)).toEqual([0, 117, undefined]);
      expect(JSON.stringify(log)).not.toContain(tokens.access_token);
    });
  });

  describe('scripted answers per operation', () => {
    const script = (answers: unknown) => fetch(`${emulators.microsoft.url}/_emulator/scripted-answers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answers }) });
    const pending = async () => ((await (await fetch(`${emulators.microsoft.url}/_emulator/scripted-answers`)).json()) as any).pending;
    let id: string;
    beforeAll(async () => {
      id = (await create('Scripted target')).body.AudienceIds[0];
    });

    it('lets `skip` calls of the operation through, then answers 117 in its own shape; other operations are not counted', async () => {
      expect((await script({ operation: 'ApplyCustomerListUserData', code: 117, skip: 1 })).status).toBe(200);
      expect((await call('/Audiences/QueryByIds', {})).status).toBe(200);
      expect((await apply(id, 'Add', emails(1))).status).toBe(200);
      expect(await apply(id, 'Add', emails(1))).toMatchObject({ status: 429, body: { Type: 'ApiFaultDetail', OperationErrors: [{ Code: 117, ErrorCode: 'CallRateExceeded' }] } });
      expect((await apply(id, 'Add', emails(1))).status).toBe(200);
      expect(await pending()).toEqual([]);
    });

    it('answers 105, 109 and 0 on demand, each `times` times, to any operation when none is named', async () => {
      await script([{ code: 105, times: 2 }, { code: 109 }, { code: 0 }]);
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(await call('/Audiences/QueryByIds', {}));
      expect(answers.map((a) => [a.status, a.body.Type, (a.body.Errors ?? a.body.OperationErrors)?.[0].Code])).toEqual([
        [401, 'AdApiFaultDetail', 105],
        [401, 'AdApiFaultDetail', 105],
        [401, 'AdApiFaultDetail', 109],
        [500, 'ApiFaultDetail', 0],
        [200, undefined, undefined],
      ]);
    });

    it('4853 on AddAudiences: another user makes the list just before the call, which meets DuplicateAudienceName', async () => {
      await script({ operation: 'AddAudiences', code: 4853 });
      const raced = await create('Raced list');
      expect(raced).toMatchObject({ status: 200, body: { AudienceIds: [null], PartialErrors: [{ Code: 4853, ErrorCode: 'DuplicateAudienceName', Index: 0 }] } });
      const all = await call('/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' });
      expect(all.body.Audiences.filter((a: any) => a.Name === 'Raced list')).toHaveLength(1);
    });

    it('refuses a script it cannot play, queueing nothing', async () => {
      expect((await script([{ code: 105 }, { operation: 'ApplyCustomerListUserData', code: 4853 }])).status).toBe(400);
      expect((await script({ code: 8000 })).status).toBe(400);
      expect(await pending()).toEqual([]);
    });

    it('answers 105 to access tokens it revoked; a refreshed token works', async () => {
      expect(await (await fetch(`${emulators.microsoft.url}/_emulator/tokens/revoke`, { method: 'POST' })).json()).toEqual({ revoked: expect.any(Number) });
      expect((await call('/Audiences/QueryByIds', {})).body).toMatchObject({ Type: 'AdApiFaultDetail', Errors: [{ Code: 105, ErrorCode: 'InvalidCredentials' }] });
      tokens = (await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body;
      expect((await call('/Audiences/QueryByIds', {})).status).toBe(200);
    });
  });
});
