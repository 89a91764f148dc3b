import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
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

  /** The authorise URL the registry hands out, followed like a browser up to (not into) the callback. */
  async function callbackFor(url: string, connectionId: string): Promise<{ state: string; expiresAt: string; callback: string }> {
    const started = (await (await post(url, `/connections/${connectionId}/authorize`, keys.admin)).json()) as { authorizeUrl: string; expiresAt: string };
    const provider = await fetch(started.authorizeUrl, { redirect: 'manual' });
    return { state: new URL(started.authorizeUrl).searchParams.get('state')!, expiresAt: started.expiresAt, callback: provider.headers.get('location')! };
  }

  const keyIdOf = async (connectionId: string) => (await db.collection('connections').findOne({ _id: connectionId as never }))!.credentials.keyId as string;
  const accessToken = async (url: string, connectionId: string, forceRefresh: boolean) => {
    const answer = await post(url, `/internal/connections/${connectionId}/access-token`, keys.internal, { forceRefresh });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { accessToken: string }).accessToken;
  };

  describe('the OAuth state', () => {
    it('lives OAUTH_STATE_TTL_SECONDS (600 by default) from the moment the flow starts', async () => {
      const created = await registry.as('admin')('POST', '/connections', { displayName: 'ttl', destination: 'facebook-ads', consent: { agreed: true } });
      const before = Date.now();
      const { state, expiresAt } = await callbackFor(registry.url, created.body.id);
      const after = Date.now();
      expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 600_000);
      expect(Date.parse(expiresAt)).toBeLessThanOrEqual(after + 600_000);
      expect((await db.collection('oauthstates').findOne({ _id: state as never }))!.expiresAt.toISOString()).toBe(expiresAt);
    });

    it('is refused once expired, with what to do, and the connection stays unauthenticated', async () => {
      const created = await registry.as('admin')('POST', '/connections', { displayName: 'late', destination: 'facebook-ads', consent: { agreed: true } });
      const { state, callback } = await callbackFor(registry.url, created.body.id);
      // The admin came back too late: the stored expiry is moved into the past rather than the clock forward.
      await db.collection('oauthstates').updateOne({ _id: state as never }, { $set: { expiresAt: new Date(Date.now() - 1) } });
      const landed = await fetch(callback);
      expect(landed.status).toBe(400);
      expect(((await landed.json()) as { error: { message: string } }).error.message).toBe(
        'the authorisation link is unknown, already used or expired; start again with POST /connections/{id}/authorize',
      );
      expect((await registry.as('admin')('GET', `/connections/${created.body.id}`)).body).toMatchObject({ status: 'awaiting-authentication', authenticated: false });
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
    await accessToken(rotated.url, microsoft, true);
    expect(await keyIdOf(microsoft)).toBe('k2');
    // Facebook's next write is a new sign-in.
    expect((await fetch((await callbackFor(rotated.url, facebook)).callback)).status).toBe(200);
    expect(await keyIdOf(facebook)).toBe('k2');

    // With the old key gone, both still open.
    await rotated.close();
    restarted = undefined;
    const newOnly = (restarted = await startRegistryLike(registry, { CREDENTIALS_ENCRYPTION_KEYS: newKey }));
    expect(await accessToken(newOnly.url, facebook, false)).toEqual(expect.any(String));
    expect(await accessToken(newOnly.url, microsoft, true)).toEqual(expect.any(String));
  });
});
