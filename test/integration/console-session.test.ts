import mongoose from 'mongoose';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { openSignInLink } from '../../tools/emulators/browser-sign-in';
import { Answer, keys, OtherRegistry, Registry, request, startRegistry, startRegistryLike } from '../support/registry-harness';

/** The admin console's sign-in: an API key exchanged for a session cookie, and the OAuth sign-in returning to the console. */
describe('console sessions', () => {
  let emulators: Emulators;
  let registry: Registry;
  let db: mongoose.Connection;

  interface Session {
    cookie: string;
    csrfToken: string;
    answer: Answer;
  }

  async function signIn(apiKey: string, base = registry.url): Promise<Session> {
    const answer = await request(`${base}/session`, 'POST', { body: { apiKey } });
    expect(answer.status).toBe(201);
    return { cookie: answer.headers.get('set-cookie')!.split(';')[0], csrfToken: answer.body.csrfToken, answer };
  }

  /** A request as the console sends it: the cookie, and the CSRF token when given. */
  const call = (session: Pick<Session, 'cookie'>, method: string, path: string, options: { csrf?: string; body?: unknown; base?: string } = {}) =>
    request(`${options.base ?? registry.url}${path}`, method, { headers: { cookie: session.cookie, ...(options.csrf !== undefined ? { 'x-csrf-token': options.csrf } : {}) }, body: options.body });

  const connectionBody = () => ({ displayName: 'MS', destination: 'microsoft-advertising', usableBy: 'administrators-and-contributors', consent: { agreed: true } });

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    db = await mongoose.createConnection(registry.mongoUri).asPromise();
  });

  afterAll(async () => {
    await db?.close();
    await registry?.close();
    await emulators?.close();
  });

  it('signs in with an API key: a session cookie (HttpOnly, SameSite=Strict, Path=/) and the principal, CSRF token and expiry', async () => {
    const { answer, cookie } = await signIn(keys.admin);
    expect(answer.body).toEqual({ principal: { name: 'alice', role: 'administrator' }, csrfToken: expect.stringMatching(/^[\w-]{32,}$/), expiresAt: expect.any(String) });
    const hours = (Date.parse(answer.body.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8);
    const attributes = answer.headers.get('set-cookie')!.split(';').map((a) => a.trim());
    expect(cookie).toMatch(/^audience_sync_session=[\w-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']));
    expect(attributes).not.toContain('Secure');
    expect(JSON.stringify(answer.body)).not.toContain(keys.admin);
  });

  it('stores only a hash of the cookie, never the cookie or the key', async () => {
    const { cookie } = await signIn(keys.admin);
    const value = cookie.split('=')[1];
    const stored = JSON.stringify(await db.collection('consolesessions').find({}).toArray());
    expect(stored).not.toContain(value);
    expect(stored).not.toContain(keys.admin);
  });

  it('GET /session answers the same session for its cookie, 401 without one', async () => {
    const session = await signIn(keys.contributor);
    const current = await call(session, 'GET', '/session');
    expect(current.status).toBe(200);
    expect(current.body).toEqual({ principal: { name: 'carol', role: 'contributor' }, csrfToken: session.csrfToken, expiresAt: session.answer.body.expiresAt });
    expect((await request(`${registry.url}/session`, 'GET')).status).toBe(401);
    expect((await call({ cookie: `audience_sync_session=${'x'.repeat(43)}` }, 'GET', '/session')).status).toBe(401);
  });

  it('authenticates API calls with the cookie; a change needs the X-CSRF-Token', async () => {
    const session = await signIn(keys.admin);
    expect((await call(session, 'GET', '/connections')).status).toBe(200);
    const without = await call(session, 'POST', '/connections', { body: connectionBody() });
    expect(without.status).toBe(403);
    expect(without.body.error).toEqual({ code: 'forbidden', message: expect.stringContaining('reload the console') });
    expect((await call(session, 'POST', '/connections', { body: connectionBody(), csrf: 'wrong' })).status).toBe(403);
    const created = await call(session, 'POST', '/connections', { body: connectionBody(), csrf: session.csrfToken });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe('alice');
  });

  it('refuses a key it does not know, and the internal per-sink tokens, saying where keys come from', async () => {
    for (const apiKey of ['not-a-key-of-this-registry-at-all', keys.sinkFacebook, keys.sinkMicrosoft]) {
      const answer = await request(`${registry.url}/session`, 'POST', { body: { apiKey } });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toEqual({ code: 'unauthenticated', message: expect.stringContaining('REGISTRY_API_KEYS') });
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
    expect((await request(`${registry.url}/session`, 'POST', { body: {} })).status).toBe(400);
  });

  it('never opens the internal API with a session', async () => {
    const session = await signIn(keys.admin);
    expect((await call(session, 'POST', '/internal/connections/any/access-token', { csrf: session.csrfToken })).status).toBe(401);
  });

  it("keeps the key's role: a contributor's session gets 403 on an administrators' route", async () => {
    const session = await signIn(keys.contributor);
    expect((await call(session, 'GET', '/audit')).status).toBe(403);
  });

  it('signs out: DELETE /session needs the CSRF token, clears the cookie, and the cookie stops working', async () => {
    const session = await signIn(keys.admin);
    expect((await call(session, 'DELETE', '/session')).status).toBe(403);
    const out = await call(session, 'DELETE', '/session', { csrf: session.csrfToken });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^audience_sync_session=;.*Max-Age=0/);
    expect((await call(session, 'GET', '/session')).status).toBe(401);
    expect((await call(session, 'GET', '/connections')).status).toBe(401);
  });

  it('records sign-in and sign-out in the audit log, without the key', async () => {
    const session = await signIn(keys.contributor);
    await call(session, 'DELETE', '/session', { csrf: session.csrfToken });
    const audit = await registry.as('admin')('GET', '/audit?objectType=session');
    expect(audit.status).toBe(200);
    const mine = audit.body.items.filter((e: { actor: { name: string } }) => e.actor.name === 'carol');
    expect(mine.map((e: { action: string }) => e.action).slice(0, 2)).toEqual(['sign-out', 'sign-in']);
    expect(JSON.stringify(audit.body)).not.toContain(keys.contributor);
  });

  describe('a session ends', () => {
    let other: OtherRegistry | undefined;
    afterEach(async () => {
      await other?.close();
      other = undefined;
    });

    it('when its API key is no longer configured', async () => {
      const session = await signIn(keys.contributor);
      other = await startRegistryLike(registry, { REGISTRY_API_KEYS: `alice:administrator:${keys.admin}` });
      expect((await call(session, 'GET', '/connections', { base: other.url })).status).toBe(401);
      expect((await call(session, 'GET', '/session', { base: other.url })).status).toBe(401);
      expect((await call(session, 'GET', '/connections')).status).toBe(200);
    });

    it('when it expires', async () => {
      const session = await signIn(keys.admin);
      const { createHash } = await import('node:crypto');
      const id = createHash('sha256').update(session.cookie.split('=')[1]).digest('hex');
      const changed = await db.collection('consolesessions').updateOne({ _id: id as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      expect(changed.matchedCount).toBe(1);
      expect((await call(session, 'GET', '/connections')).status).toBe(401);
      expect((await call(session, 'GET', '/session')).status).toBe(401);
    });
  });

  describe('signing a connection in from the console', () => {
    it('returns to the console: the callback redirects 303 to returnTo', async () => {
      const session = await signIn(keys.admin);
      const created = await call(session, 'POST', '/connections', { body: connectionBody(), csrf: session.csrfToken });
      const link = await call(session, 'POST', `/connections/${created.body.id}/authorize`, { body: { returnTo: '/#/connections?signed=1' }, csrf: session.csrfToken });
      expect(link.status).toBe(201);
      const landed = await openSignInLink(link.body.url, { followLanding: false });
      expect(landed.status).toBe(303);
      expect(landed.location).toBe('/#/connections?signed=1');
      expect(landed.headers.get('cache-control')).toBe('no-store');
      expect(landed.headers.get('referrer-policy')).toBe('no-referrer');
      const connection = await registry.as('admin')('GET', `/connections/${created.body.id}`);
      expect(connection.body.authenticated).toBe(true);
    });

    it('shows the failure page with a link back to the console when the sign-in fails', async () => {
      const created = await registry.as('admin')('POST', '/connections', connectionBody());
      const link = await request(`${registry.url}/connections/${created.body.id}/authorize`, 'POST', { key: keys.admin, body: { returnTo: '/console?x="<b>' } });
      expect(link.status).toBe(201);
      const started = await fetch(link.body.url, { redirect: 'manual' });
      const dialog = new URL(started.headers.get('location')!);
      // Back from the provider in another browser (no sign-in cookie): refused.
      const callback = `${registry.url}/oauth/callback?state=${encodeURIComponent(dialog.searchParams.get('state')!)}&code=abc`;
      const page = await fetch(callback, { redirect: 'manual' });
      expect(page.status).toBe(400);
      const html = await page.text();
      expect(html).toContain('<a href="/console?x=&quot;&lt;b&gt;">Back to the console</a>');
    });

    it('keeps the page without a returnTo', async () => {
      const created = await registry.as('admin')('POST', '/connections', connectionBody());
      const link = await registry.as('admin')('POST', `/connections/${created.body.id}/authorize`);
      const landed = await openSignInLink(link.body.url, { followLanding: false });
      expect(landed.status).toBe(200);
      expect(landed.page).toContain('Signed in');
      expect(landed.page).not.toContain('Back to the console');
    });

    it.each([
      ['another host', '//evil.example'],
      ['another host, backslashed', '/\\evil.example'],
      ['an absolute address', 'https://evil.example/'],
      ['a relative path', 'relative'],
      ['a path over 500 characters', `/${'a'.repeat(500)}`],
      ['a line break', '/a\nb'],
    ])('refuses a returnTo of %s with 400', async (_, returnTo) => {
      const created = await registry.as('admin')('POST', '/connections', connectionBody());
      const link = await registry.as('admin')('POST', `/connections/${created.body.id}/authorize`, { returnTo });
      expect(link.status).toBe(400);
      expect(link.body.error.details).toEqual([expect.objectContaining({ path: 'returnTo' })]);
    });
  });
});
