import mongoose from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, keys, OtherRegistry, Registry, startRegistry, startRegistryLike } from '../support/registry-harness';

/** The registry's hold on credentials over time: the OAuth state expires, encryption keys rotate. */
describe('registry credentials over time', () => {
  let emulators: Emulators;
  let registry: Registry;
  let db: mongoose.Connection;
  /** The one running after a restart; one at a time, so the registry's consumer group does not rebalance among them. */
  let restarted: OtherRegistry | undefined;
  let baseClosed = false;

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    db = await mongoose.createConnection(registry.mongoUri).asPromise();
  });

  afterAll(async () => {
    await restarted?.close();
    await db?.close();
    if (!baseClosed) await registry?.close();
    await emulators?.close();
  });

  const post = (url: string, path: string, bearer: string, body?: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

  async function connection(destination: 'facebook-ads' | 'microsoft-advertising'): Promise<string> {
    const created = await registry.as('admin')('POST', '/connections', { displayName: destination, destination, consent: { agreed: true } });
    expect((await completeOAuth(registry, created.body.id)).status).toBe(200);
    return created.body.id;
  }

  /** The sign-in link the API hands out, opened in a browser and followed up to (not into) the callback. */
  async function callbackFor(url: string, connectionId: string): Promise<{ link: { url: string; expiresAt: string }; dialog: URL; cookie: string; callback: string }> {
    const link = (await (await post(url, `/connections/${connectionId}/authorize`, keys.admin)).json()) as { url: string; expiresAt: string };
    const started = await fetch(link.url, { redirect: 'manual' });
    expect(started.status).toBe(302);
    const dialog = new URL(started.headers.get('location')!);
    const provider = await fetch(dialog, { redirect: 'manual' });
    return { link, dialog, cookie: started.headers.get('set-cookie')!.split(';')[0], callback: provider.headers.get('location')! };
  }
  const stateId = (callback: string) => `state:${createHash('sha256').update(new URL(callback).searchParams.get('state')!).digest('base64url')}`;
  const created = async (displayName: string, destination: 'facebook-ads' | 'microsoft-advertising' = 'facebook-ads') =>
    (await registry.as('admin')('POST', '/connections', { displayName, destination, consent: { agreed: true } })).body.id as string;
  const statusOf = async (id: string) => (await registry.as('admin')('GET', `/connections/${id}`)).body;

  const keyIdOf = async (connectionId: string) => (await db.collection('connections').findOne({ _id: connectionId as never }))!.credentials.keyId as string;
  const accessToken = async (url: string, connectionId: string, forceRefresh: boolean, sinkKey = keys.sinkFacebook) => {
    const answer = await post(url, `/internal/connections/${connectionId}/access-token`, sinkKey, { forceRefresh });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { accessToken: string }).accessToken;
  };

  describe('signing in from a browser', () => {
    it('hands out a single-use link for OAUTH_TICKET_TTL_SECONDS (300); opening it sets an http-only, SameSite=Lax cookie and redirects to the provider', async () => {
      const id = await created('link');
      const before = Date.now();
      const link = (await (await post(registry.url, `/connections/${id}/authorize`, keys.admin)).json()) as { url: string; expiresAt: string };
      expect(link.url).toMatch(new RegExp(`^${registry.url}/oauth/start\\?ticket=[\\w-]{43}$`));
      expect(Date.parse(link.expiresAt)).toBeGreaterThanOrEqual(before + 300_000);
      expect(Date.parse(link.expiresAt)).toBeLessThanOrEqual(Date.now() + 300_000);
      expect((await post(registry.url, `/connections/${id}/authorize`, keys.contributor)).status).toBe(403);
      const started = await fetch(link.url, { redirect: 'manual' });
      expect(started.status).toBe(302);
      expect(started.headers.get('location')).toMatch(new RegExp(`^${emulators.facebook.url}/v27.0/dialog/oauth\\?`));
      expect(started.headers.get('set-cookie')).toMatch(/^audience-sync-sign-in=[\w-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
      const again = await fetch(link.url, { redirect: 'manual' });
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await again.text()).toContain('This sign-in link is unknown, already used or expired.');
    });

    it('sends the provider a PKCE S256 challenge whose verifier only the registry holds', async () => {
      const { dialog, callback } = await callbackFor(registry.url, await created('pkce', 'microsoft-advertising'));
      expect(dialog.searchParams.get('code_challenge_method')).toBe('S256');
      const stored = await db.collection('oauthstates').findOne({ _id: stateId(callback) as never });
      expect(createHash('sha256').update(stored!.codeVerifier).digest('base64url')).toBe(dialog.searchParams.get('code_challenge'));
      expect(JSON.stringify(stored)).not.toContain(new URL(callback).searchParams.get('state')!);
    });

    it('refuses a sign-in finished in another browser (no cookie, or another one), with a page saying what to do', async () => {
      const id = await created('leaked');
      const { callback } = await callbackFor(registry.url, id);
      const elsewhere = await fetch(callback);
      expect(elsewhere.status).toBe(400);
      const page = await elsewhere.text();
      expect(page).toContain('This sign-in was started in another browser');
      expect(page).toContain(`POST /connections/${id}/authorize`);
      const other = await callbackFor(registry.url, id);
      expect((await fetch(other.callback, { headers: { cookie: `audience-sync-sign-in=${'A'.repeat(43)}` } })).status).toBe(400);
      expect(await statusOf(id)).toMatchObject({ status: 'awaiting-authentication', authenticated: false });
    });

    it('lives OAUTH_STATE_TTL_SECONDS (600) once the link is opened, and is refused once expired', async () => {
      const id = await created('late');
      const before = Date.now();
      const { callback, cookie } = await callbackFor(registry.url, id);
      const stored = await db.collection('oauthstates').findOne({ _id: stateId(callback) as never });
      expect(stored!.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 600_000);
      expect(stored!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
      // The admin came back too late: the stored expiry is moved into the past rather than the clock forward.
      await db.collection('oauthstates').updateOne({ _id: stateId(callback) as never }, { $set: { expiresAt: new Date(Date.now() - 1) } });
      const landed = await fetch(callback, { headers: { cookie } });
      expect(landed.status).toBe(400);
      expect(await landed.text()).toContain('This sign-in is unknown, already finished or expired.');
      expect(await statusOf(id)).toMatchObject({ status: 'awaiting-authentication', authenticated: false });
    });

    it('ends on a page a person can read, escaped, without tokens', async () => {
      const id = await created('<b>Shop & "Co"</b>');
      const landed = await completeOAuth(registry, id);
      expect(landed.status).toBe(200);
      expect(landed.page).toContain('<h1 class="ok">Signed in</h1>');
      expect(landed.page).toContain(`The Facebook connection &quot;&lt;b&gt;Shop &amp; &quot;Co&quot;&lt;/b&gt;&quot; (${id}) is signed in`);
      expect(landed.page).toContain(`Next: GET /connections/${id}/facebook/ad-accounts`);
      expect(landed.page).not.toContain(await accessToken(registry.url, id, false));
      const refused = await callbackFor(registry.url, id);
      const denied = new URL(refused.callback);
      denied.searchParams.delete('code');
      denied.searchParams.set('error', '<i>access_denied</i>');
      const page = await (await fetch(denied, { headers: { cookie: refused.cookie } })).text();
      expect(page).toContain('Facebook did not authorise the connection (&lt;i&gt;access_denied&lt;/i&gt;).');
    });
  });

  // Last: it closes the harness's registry for good.
  it('after a key rotation, opens secrets sealed under the old key and re-seals each under the new one at its next write', async () => {
    const facebook = await connection('facebook-ads');
    const microsoft = await connection('microsoft-advertising');
    const facebookToken = await accessToken(registry.url, facebook, false);
    expect([await keyIdOf(facebook), await keyIdOf(microsoft)]).toEqual(['test1', 'test1']);

    const newKey = `k2:${randomBytes(32).toString('base64')}`;
    await registry.close();
    baseClosed = true;
    const rotated = (restarted = await startRegistryLike(registry, { CREDENTIALS_ENCRYPTION_KEYS: `${newKey},${registry.env.CREDENTIALS_ENCRYPTION_KEYS}` }));
    // Reading writes nothing: the Facebook token opens under the old key and stays sealed with it.
    expect(await accessToken(rotated.url, facebook, false)).toBe(facebookToken);
    expect(await keyIdOf(facebook)).toBe('test1');
    // Microsoft's refresh stores the rotated refresh token: that write seals under the new key.
    await accessToken(rotated.url, microsoft, true, keys.sinkMicrosoft);
    expect(await keyIdOf(microsoft)).toBe('k2');
    // Facebook's next write is a new sign-in.
    expect((await completeOAuth({ url: rotated.url }, facebook)).status).toBe(200);
    expect(await keyIdOf(facebook)).toBe('k2');

    // With the old key gone, both still open.
    await rotated.close();
    restarted = undefined;
    const newOnly = (restarted = await startRegistryLike(registry, { CREDENTIALS_ENCRYPTION_KEYS: newKey }));
    expect(await accessToken(newOnly.url, facebook, false)).toEqual(expect.any(String));
    expect(await accessToken(newOnly.url, microsoft, true, keys.sinkMicrosoft)).toEqual(expect.any(String));
  });
});
