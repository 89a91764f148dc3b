import mongoose from 'mongoose';
import { gzipSync } from 'node:zlib';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { Answer, completeOAuth, keys, OtherRegistry, Registry, request, startRegistry, startRegistryLike } from '../support/registry-harness';
import { uniqueName } from '../support/env';

/** The registry's HTTP edges: headers, limits, hostile input, repeated and concurrent writes. */
describe('connection registry at its HTTP edges', () => {
  let emulators: Emulators;
  let registry: Registry;
  let db: mongoose.Connection;

  /** A request as a client sends it: any headers, a raw or JSON body. */
  function call(method: string, path: string, options: { key?: string | null; headers?: Record<string, string>; body?: unknown; raw?: Buffer | string; base?: string } = {}): Promise<Answer> {
    const key = options.key === undefined ? keys.admin : (options.key ?? undefined);
    return request(`${options.base ?? registry.url}${path}`, method, { ...options, key });
  }

  async function microsoftConnection(): Promise<string> {
    const created = await call('POST', '/connections', { body: { displayName: 'MS', destination: 'microsoft-advertising', usableBy: 'administrators-and-contributors', consent: { agreed: true } } });
    expect(created.status).toBe(201);
    await completeOAuth(registry, created.body.id);
    return created.body.id;
  }

  const exportBody = (connectionId: string, displayName = uniqueName('export')) => ({
    displayName,
    connectionId,
    segments: [{ id: 's1', name: 'Loyal customers' }],
    microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' },
  });

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    db = await mongoose.createConnection(registry.mongoUri).asPromise();
  });

  afterAll(async () => {
    await db.close();
    await registry.close();
    await emulators.close();
  });

  describe('headers', () => {
    it('does not say what it runs on and sends the security headers', async () => {
      for (const path of ['/health/live', '/connections', '/does-not-exist']) {
        const answer = await call('GET', path);
        expect(answer.headers.get('x-powered-by')).toBeNull();
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        expect(answer.headers.get('x-frame-options')).toBe('DENY');
        expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(answer.headers.get('strict-transport-security')).toContain('max-age=');
      }
    });

    it('keeps the docs page working under its policy: every script is its own, none inline', async () => {
      const page = await call('GET', '/docs', { key: null });
      expect(page.status).toBe(200);
      const policy = page.headers.get('content-security-policy')!;
      expect(policy.split(';').map((d) => d.trim())).toContain("script-src 'self'");
      const html = String(page.body);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => new URL(m[1], `${registry.url}/docs`));
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) {
        expect(script.origin).toBe(registry.url);
        expect((await call('GET', script.pathname, { key: null })).status).toBe(200);
      }
    });
  });

  describe('hostile bodies and parameters', () => {
    it('answers 413 for a body over the limit, also when it only grows that big inflated, and 400 for broken JSON', async () => {
      const huge = JSON.stringify({ displayName: 'x'.repeat(10 * 1024 * 1024), destination: 'microsoft-advertising', consent: { agreed: true } });
      const tooBig = await call('POST', '/connections', { raw: huge });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.error).toEqual({ code: 'payload_too_large', message: expect.stringContaining('100 kB') });

      const bomb = gzipSync(Buffer.from(`{"displayName":"${'a'.repeat(50 * 1024 * 1024)}"}`));
      expect(bomb.length).toBeLessThan(100 * 1024);
      const inflated = await call('POST', '/connections', { raw: bomb, headers: { 'content-encoding': 'gzip' } });
      expect(inflated.status).toBe(413);
      expect(inflated.body.error.code).toBe('payload_too_large');

      const broken = await call('POST', '/connections', { raw: '{"displayName": "x",' });
      expect(broken.status).toBe(400);
      expect(broken.body.error).toEqual({ code: 'invalid_json', message: expect.stringContaining('JSON') });

      const unknownEncoding = await call('POST', '/connections', { raw: '{}', headers: { 'content-encoding': 'br-nonsense' } });
      expect(unknownEncoding.status).toBe(415);
      expect(unknownEncoding.body.error.code).toBe('unsupported_encoding');

      const badGzip = await call('POST', '/connections', { raw: 'not gzip at all', headers: { 'content-encoding': 'gzip' } });
      expect(badGzip.status).toBe(400);
      expect(badGzip.body.error.code).toBe('bad_request');
    });

    it('answers 400 naming the parameter for an absurd cursor or page size, on every list', async () => {
      const connectionId = await microsoftConnection();
      const exportId = (await call('POST', '/exports', { body: exportBody(connectionId) })).body.id;
      const absurd = '9'.repeat(400);
      for (const list of ['/connections', '/exports', `/exports/${exportId}/runs`]) {
        for (const [parameter, query] of [
          ['cursor', `cursor=${absurd}`],
          ['limit', `limit=${absurd}`],
          ['cursor', 'cursor=-1'],
          ['limit', 'limit=1e3'],
          ['cursor', 'cursor=a&cursor=b'],
        ]) {
          const answer = await call('GET', `${list}?${query}`);
          expect({ list, query, status: answer.status }).toEqual({ list, query, status: 400 });
          expect(answer.body.error.message).toContain(parameter);
          expect(answer.body.error.details[0].path).toBe(parameter);
        }
        expect((await call('GET', `${list}?limit=100&cursor=0`)).status).toBe(200);
      }
    });
  });

  describe('names', () => {
    const disguised: [string, string][] = [
      ['right-to-left override', 'Invoice\u202Etxt.exe'],
      ['isolate', 'Loyal \u2067customers\u2069'],
      ['control character', 'Loyal\u0007customers'],
      ['line break', 'Loyal\ncustomers'],
      ['C1 control', 'Loyal\u0085customers'],
    ];

    it.each(disguised)('refuses a %s in display names, segment and audience names, naming the field', async (_, name) => {
      const connectionId = await microsoftConnection();
      const connection = await call('POST', '/connections', { body: { displayName: name, destination: 'microsoft-advertising', consent: { agreed: true } } });
      expect(connection.status).toBe(400);
      expect(connection.body.error.details).toEqual([{ path: 'displayName', message: expect.stringMatching(/U\+[0-9A-F]{4}/) }]);
      expect(connection.body.error.message).toContain('displayName');

      const renamed = await call('PATCH', `/connections/${connectionId}`, { body: { displayName: name } });
      expect(renamed.status).toBe(400);
      expect(renamed.body.error.details[0].path).toBe('displayName');

      const exported = await call('POST', '/exports', { body: { ...exportBody(connectionId, name) } });
      expect(exported.body.error.details.map((d: { path: string }) => d.path)).toEqual(['displayName']);

      const segment = await call('POST', '/exports', { body: { ...exportBody(connectionId), segments: [{ id: 's1', name }] } });
      expect(segment.status).toBe(400);
      expect(segment.body.error.details[0].path).toBe('segments.0.name');

      const audience = await call('PUT', `/connections/${connectionId}/facebook/audience`, { body: { adAccountId: 'act_1001', create: { name } } });
      expect(audience.status).toBe(400);
      expect(audience.body.error.details[0].path).toBe('create.name');
    });

    it('keeps names in any script, with the direction marks right-to-left text needs', async () => {
      for (const name of ['Kunder i Tromsø', 'عملاء مخلصون\u200F (2024)', 'לקוחות נאמנים', '忠実な顧客']) {
        const created = await call('POST', '/connections', { body: { displayName: name, destination: 'microsoft-advertising', consent: { agreed: true } } });
        expect(created.status).toBe(201);
        expect(created.body.displayName).toBe(name);
      }
    });
  });

  describe('rate limits', () => {
    let limited: OtherRegistry;

    beforeAll(async () => {
      limited = await startRegistryLike(registry, { REGISTRY_RATE_LIMIT_PER_MINUTE: '5' });
    });
    afterAll(() => limited.close());

    it('answers 429 with Retry-After once a key used its requests, counting each key (by name) and each anonymous address apart', async () => {
      const base = limited.url;
      const admin = await Promise.all(Array.from({ length: 7 }, () => call('GET', '/connections', { base })));
      expect(admin.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const refused = admin.find((a) => a.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.body.error).toEqual({ code: 'rate_limited', message: expect.stringContaining('Retry-After') });
      expect(JSON.stringify(refused.body)).not.toContain(keys.admin);

      // Another key has its own budget; the health and internal endpoints are never limited.
      expect((await call('GET', '/connections', { base, key: keys.contributor })).status).toBe(200);
      for (let i = 0; i < 8; i += 1) expect((await call('GET', '/health/ready', { base, key: null })).status).toBe(200);
      for (let i = 0; i < 8; i += 1) expect((await call('POST', '/internal/connections/nope/access-token', { base, key: keys.sinkFacebook, body: {} })).status).not.toBe(429);

      // Unauthenticated routes count per address.
      const anonymous = await Promise.all(Array.from({ length: 7 }, () => call('GET', '/oauth/callback?state=x&code=y', { base, key: null })));
      expect(anonymous.filter((a) => a.status === 429)).toHaveLength(2);
    });
  });

  describe('Idempotency-Key', () => {
    it('makes one connection of 20 identical creates sent at once, and answers each with it', async () => {
      const key = uniqueName('idem');
      const body = { displayName: uniqueName('once'), destination: 'microsoft-advertising', consent: { agreed: true } };
      const answers = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/connections', { body, headers: { 'idempotency-key': key } })));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
      expect(await db.collection('connections').countDocuments({ displayName: body.displayName })).toBe(1);

      const later = await call('POST', '/connections', { body, headers: { 'idempotency-key': key } });
      expect(later.body).toEqual(answers[0].body);
    });

    it('makes one export of 20 identical creates, and one run of 20 identical run requests', async () => {
      const connectionId = await microsoftConnection();
      const key = uniqueName('idem');
      const body = exportBody(connectionId);
      const exports = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/exports', { body, headers: { 'idempotency-key': key } })));
      expect(exports.map((a) => a.status)).toEqual(Array(20).fill(201));
      expect(await db.collection('exports').countDocuments({ displayName: body.displayName })).toBe(1);

      const exportId = exports[0].body.id;
      const runKey = uniqueName('idem');
      const runs = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/exports/${exportId}/runs`, { headers: { 'idempotency-key': runKey } })));
      expect(runs.map((a) => a.status)).toEqual(Array(20).fill(202));
      expect(await db.collection('runs').countDocuments({ exportId })).toBe(1);
    });

    it('refuses the same key with another body or on another route (422), keeps keys apart per API key, and creates anew without a key', async () => {
      const key = uniqueName('idem');
      const body = { displayName: uniqueName('first'), destination: 'microsoft-advertising', usableBy: 'administrators-and-contributors', consent: { agreed: true } };
      const first = await call('POST', '/connections', { body, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(201);
      const other = await call('POST', '/connections', { body: { ...body, displayName: 'something else' }, headers: { 'idempotency-key': key } });
      expect(other.status).toBe(422);
      expect(other.body.error).toEqual({ code: 'idempotency_key_reused', message: expect.stringContaining('Idempotency-Key') });
      const elsewhere = await call('POST', '/exports', { body: exportBody(first.body.id), headers: { 'idempotency-key': key } });
      expect(elsewhere.status).toBe(422);

      // The same key from another API key is another request.
      const contributorExport = await call('POST', '/exports', { key: keys.contributor, body: exportBody(await microsoftConnection()), headers: { 'idempotency-key': key } });
      expect(contributorExport.status).toBe(201);

      const plain = await Promise.all([call('POST', '/connections', { body }), call('POST', '/connections', { body })]);
      expect(new Set(plain.map((a) => a.body.id)).size).toBe(2);

      expect((await call('POST', '/connections', { body, headers: { 'idempotency-key': 'x'.repeat(256) } })).status).toBe(400);
    });

    it('lets a key whose request failed be used again, and keeps a key a day', async () => {
      const key = uniqueName('idem');
      const refused = await call('POST', '/connections', { body: { displayName: 'no consent', destination: 'microsoft-advertising' }, headers: { 'idempotency-key': key } });
      expect(refused.status).toBe(400);
      const fixed = await call('POST', '/connections', { body: { displayName: 'no consent', destination: 'microsoft-advertising', consent: { agreed: true } }, headers: { 'idempotency-key': key } });
      expect(fixed.status).toBe(201);

      const stored = await db.collection('idempotencykeys').findOne({ resourceId: fixed.body.id });
      expect(stored!.expiresAt.getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
      expect(stored!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
      expect(JSON.stringify(stored)).not.toContain(keys.admin);
      expect(JSON.stringify(stored)).not.toContain(key);

      // A day later the key is free again (FerretDB has no TTL index: the registry reads the date).
      await db.collection('idempotencykeys').updateOne({ _id: stored!._id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      const anew = await call('POST', '/connections', { body: { displayName: 'no consent', destination: 'microsoft-advertising', consent: { agreed: true } }, headers: { 'idempotency-key': key } });
      expect(anew.status).toBe(201);
      expect(anew.headers.get('idempotent-replayed')).toBeNull();
      expect(anew.body.id).not.toBe(fixed.body.id);
    });
  });

  describe('optimistic locking', () => {
    it('lets exactly one of 20 concurrent changes from the same version through; the others learn why', async () => {
      const exportId = (await call('POST', '/exports', { body: exportBody(await microsoftConnection()) })).body.id;
      const read = await call('GET', `/exports/${exportId}`);
      expect(read.headers.get('etag')).toBe('"1"');
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call('PATCH', `/exports/${exportId}`, { body: { displayName: `change ${i}` }, headers: { 'if-match': read.headers.get('etag')! } })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 412 || s === 409)).toBe(true);
      const winner = answers.find((a) => a.status === 200)!;
      expect(winner.headers.get('etag')).toBe('"2"');
      const stale = answers.find((a) => a.status === 412);
      if (stale) expect(stale.body.error).toEqual({ code: 'version_mismatch', message: expect.stringContaining('If-Match') });
      const after = await call('GET', `/exports/${exportId}`);
      expect(after.body).toMatchObject({ version: 2, displayName: winner.body.displayName });
    });

    it('loses no change among 20 concurrent ones without If-Match: every 200 is one version', async () => {
      const exportId = (await call('POST', '/exports', { body: exportBody(await microsoftConnection()) })).body.id;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call('PATCH', `/exports/${exportId}`, { body: { displayName: `change ${i}` } })));
      const succeeded = answers.filter((a) => a.status === 200);
      expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      const after = await call('GET', `/exports/${exportId}`);
      expect(after.body.version).toBe(1 + succeeded.length);
      expect(new Set(succeeded.map((a) => a.body.version)).size).toBe(succeeded.length);
    });

    it('answers 412 for a stale If-Match and 400 for one that is no version', async () => {
      const exportId = (await call('POST', '/exports', { body: exportBody(await microsoftConnection()) })).body.id;
      expect((await call('PATCH', `/exports/${exportId}`, { body: { displayName: 'a' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
      const stale = await call('PATCH', `/exports/${exportId}`, { body: { displayName: 'b' }, headers: { 'if-match': '"1"' } });
      expect(stale.status).toBe(412);
      expect(stale.body.error.message).toContain('version 2');
      expect((await call('PATCH', `/exports/${exportId}`, { body: { displayName: 'b' }, headers: { 'if-match': 'W/"2"' } })).status).toBe(200);
      expect((await call('PATCH', `/exports/${exportId}`, { body: { displayName: 'c' }, headers: { 'if-match': '"999999999999999999999"' } })).status).toBe(412);
      expect((await call('PATCH', `/exports/${exportId}`, { body: { displayName: 'c' }, headers: { 'if-match': 'banana' } })).status).toBe(400);
    });
  });
});
