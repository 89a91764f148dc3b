import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../deploy/local/process';
import { RunningService, startService } from '../../tools/services';
import { testBrokers, testMongoUri, uniqueName } from '../support/env';

/**
 * The registry as built (dist/) and run like in the local stack: its log file holds JSON lines
 * only, with the access log's fields, and never a key, a token or the OAuth callback's query.
 */
describe('service logs', () => {
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  const sinkToken = randomBytes(24).toString('hex');
  const secretCode = `code-${randomBytes(8).toString('hex')}`;
  const secretState = `state-${randomBytes(8).toString('hex')}`;
  let registry: RunningService;
  let lines: Record<string, unknown>[];
  let text: string;
  let connectionId: string;

  beforeAll(async () => {
    const port = await freePort();
    registry = await startService(
      'connection-registry',
      'REGISTRY_PORT',
      {
        KAFKA_BROKERS: testBrokers().join(','),
        MONGODB_URI: testMongoUri('logging'),
        LOG_FORMAT: '', // unset: JSON is the default
        REGISTRY_API_KEYS: `alice:administrator:${adminKey}`,
        INTERNAL_TOKEN_SINK_FACEBOOK: sinkToken,
        INTERNAL_TOKEN_SINK_MICROSOFT_ADS: randomBytes(24).toString('hex'),
        CREDENTIALS_ENCRYPTION_KEYS: `log:${randomBytes(32).toString('base64')}`,
        REGISTRY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      port,
      uniqueName('logging-registry'),
    );
    const url = `http://127.0.0.1:${port}`;
    const asAdmin = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/connections`, { method: 'POST', headers: asAdmin, body: JSON.stringify({ displayName: 'Logged', destination: 'facebook-ads', consent: { agreed: true } }) });
    connectionId = ((await created.json()) as { id: string }).id;
    expect((await fetch(`${url}/connections/no-such-connection`, { headers: asAdmin })).status).toBe(404);
    expect((await fetch(`${url}/connections`, { headers: { authorization: 'Bearer wrong-key' } })).status).toBe(401);
    await fetch(`${url}/oauth/callback?code=${secretCode}&state=${secretState}`);
    expect((await fetch(`${url}/no-such-page/${secretCode}?state=${secretState}`)).status).toBe(404);
    const flagged = await fetch(`${url}/internal/connections/${connectionId}/auth-failure`, { method: 'POST', headers: { authorization: `Bearer ${sinkToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ problem: 'the token expired' }) });
    expect(flagged.status).toBe(204);
    await registry.kill('SIGTERM');
    text = readFileSync(registry.logFile, 'utf8');
    lines = text.trim().split('\n').map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line in ${registry.logFile}: ${line}`);
      }
    });
  }, 120000);

  afterAll(() => registry?.kill('SIGKILL'));

  it('writes JSON lines only, each with a UTC timestamp, level, service, context and message, and no colour codes', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).toMatchObject({ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: expect.stringMatching(/^(fatal|error|warn|log|debug|verbose)$/), service: 'connection-registry', message: expect.anything() });
    }
    expect(lines.filter((line) => typeof line.context !== 'string')).toEqual([]);
    expect(text).not.toMatch(/\x1b\[/);
    expect(lines.some((line) => /^listening on /.test(String(line.message)))).toBe(true);
  });

  it('puts the connection a line is about in a field', () => {
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', connectionId, message: 'needs re-authentication: the token expired' }));
  });

  it('logs each request with method, route pattern, status, duration and the key name — never the key, a token or the callback query', () => {
    const access = lines.filter((line) => line.context === 'AccessLog');
    expect(access).toContainEqual(expect.objectContaining({ method: 'GET', route: '/connections/:id', status: 404, durationMs: expect.any(Number), keyName: 'alice', role: 'administrator' }));
    expect(access).toContainEqual(expect.objectContaining({ method: 'POST', route: '/connections', status: 201, keyName: 'alice' }));
    expect(access).toContainEqual(expect.objectContaining({ method: 'GET', route: '/connections', status: 401 }));
    expect(access).toContainEqual(expect.objectContaining({ method: 'GET', route: '/oauth/callback' }));
    expect(access).toContainEqual(expect.objectContaining({ method: 'POST', route: '/internal/connections/:id/auth-failure', status: 204, callerService: 'sink-facebook' }));
    expect(access).toContainEqual(expect.objectContaining({ method: 'GET', route: '(unmatched)', status: 404 }));
    expect(access.find((line) => line.status === 401)).not.toHaveProperty('keyName');
    // Readiness probes (startService polls /health/ready) are debug lines, below LOG_LEVEL=log.
    expect(access.filter((line) => String(line.route).startsWith('/health'))).toEqual([]);
    for (const secret of [adminKey, sinkToken, 'wrong-key', secretCode, secretState, 'no-such-connection']) expect(text).not.toContain(secret);
  });
});
