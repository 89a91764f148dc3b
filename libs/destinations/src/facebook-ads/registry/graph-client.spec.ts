import { createHash, randomBytes } from 'node:crypto';
import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { FacebookRegistryClient } from './graph-client';

/**
 * The registry's Graph calls against an emulator whose app has "Require App Secret" on (every call
 * with a token refused without a valid appsecret_proof, as Graph does) and more ad accounts than one
 * page holds.
 */
describe('FacebookRegistryClient against Graph with "Require App Secret" on', () => {
  const ACCOUNTS = 130;
  let emulators: Emulators;
  let client: FacebookRegistryClient;
  let token: string;

  beforeAll(async () => {
    emulators = await startEmulators({
      facebookSeed: {
        requireAppSecretProof: true,
        adAccounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ accountId: String(7000 + i), name: `account ${i}`, audiences: i === 0 ? [{ id: '23850000000000009', name: 'list', subtype: 'CUSTOM' }] : [] })),
      },
    });
    const base = `${emulators.facebook.url}/v27.0`;
    client = new FacebookRegistryClient({ FACEBOOK_GRAPH_BASE_URL: base, FACEBOOK_DIALOG_BASE_URL: `${base}/dialog/oauth`, FACEBOOK_APP_ID: 'emulator-app-id', FACEBOOK_APP_SECRET: 'emulator-app-secret' });
    token = (await signIn(verifier)).accessToken;
  });
  afterAll(() => emulators.close());

  const redirect = 'http://127.0.0.1:1/callback';
  const verifier = randomBytes(32).toString('base64url');
  /** Opens the dialog with the PKCE challenge of `verifier` and exchanges its code with `exchangeVerifier`. */
  async function signIn(exchangeVerifier: string) {
    const dialog = await fetch(client.authorizeUrl({ state: 's', redirectUri: redirect, codeChallenge: createHash('sha256').update(verifier).digest('base64url') }), { redirect: 'manual' });
    return client.exchangeCode(new URL(dialog.headers.get('location')!).searchParams.get('code')!, redirect, exchangeVerifier);
  }

  it('signs in with PKCE: the dialog gets the S256 challenge, the exchange the verifier', async () => {
    const url = new URL(client.authorizeUrl({ state: 's', redirectUri: redirect, codeChallenge: 'c'.repeat(43) }));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ code_challenge: 'c'.repeat(43), code_challenge_method: 'S256', state: 's' });
    await expect(signIn(randomBytes(32).toString('base64url'))).rejects.toThrow(/code_verifier/);
  });

  it('lists every ad account, past the first page', async () => {
    const accounts = await client.accounts(token);
    expect(accounts).toHaveLength(ACCOUNTS);
    expect(new Set(accounts.map((a) => a.accountId)).size).toBe(ACCOUNTS);
  });

  it('lists, checks and creates audiences', async () => {
    expect(await client.audiences(token, 'act_7000')).toEqual([expect.objectContaining({ id: '23850000000000009', selectable: true })]);
    expect(await client.resolve(token, { adAccountId: '7000', audienceId: '23850000000000009' })).toMatchObject({ audienceId: '23850000000000009' });
    const created = await client.resolve(token, { adAccountId: 'act_7001', create: { name: 'new list', description: '' } });
    expect(emulators.facebook.state.audiences.get(created.audienceId)).toMatchObject({ accountId: '7001', subtype: 'CUSTOM' });
  });

});
