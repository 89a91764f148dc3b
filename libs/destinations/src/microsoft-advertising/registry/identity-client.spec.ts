import { createHash, randomBytes } from 'node:crypto';
import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { MicrosoftRegistryClient } from './identity-client';

/** The registry's sign-in with the Microsoft identity platform (emulated): PKCE on every code. */
describe('MicrosoftRegistryClient', () => {
  let emulators: Emulators;
  let client: MicrosoftRegistryClient;
  const redirect = 'http://127.0.0.1:1/callback';
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  beforeAll(async () => {
    emulators = await startEmulators();
    client = new MicrosoftRegistryClient({ MICROSOFT_OAUTH_BASE_URL: `${emulators.microsoft.url}/common/oauth2/v2.0`, MICROSOFT_CLIENT_ID: 'emulator-client-id', MICROSOFT_CLIENT_SECRET: 'emulator-client-secret' });
  });
  afterAll(() => emulators.close());

  async function codeFromDialog(): Promise<string> {
    const dialog = await fetch(client.authorizeUrl({ state: 's', redirectUri: redirect, codeChallenge: challenge }), { redirect: 'manual' });
    return new URL(dialog.headers.get('location')!).searchParams.get('code')!;
  }

  it('opens the dialog with the S256 challenge and redeems the code with its verifier', async () => {
    const url = new URL(client.authorizeUrl({ state: 's', redirectUri: redirect, codeChallenge: challenge }));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ code_challenge: challenge, code_challenge_method: 'S256', state: 's', response_mode: 'query' });
    const grant = await client.exchangeCode(await codeFromDialog(), redirect, verifier);
    expect(grant).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Date) });
  });

  it('cannot redeem the code with another verifier', async () => {
    await expect(client.exchangeCode(await codeFromDialog(), redirect, randomBytes(32).toString('base64url'))).rejects.toThrow();
  });
});
