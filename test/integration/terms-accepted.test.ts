import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, keys, Registry, request, startRegistry } from '../support/registry-harness';
import { eventually, uniqueName } from '../support/env';

const TERMS = 'Microsoft Advertising: the Customer Match terms are not accepted for this account; accept the Customer Match terms in Microsoft Advertising (Tools > Audiences)';

/**
 * A connection's terms problem at the registry: a sink reports it (internal, on its own
 * destination's connections only), the status says what to do, and an administrator confirms the
 * terms are accepted, which clears it and starts a full sync of each export that is not paused.
 */
describe('connection registry: terms not accepted', () => {
  let emulators: Emulators;
  let registry: Registry;
  let admin: ReturnType<Registry['as']>;
  let contributor: ReturnType<Registry['as']>;
  /** A webhook receiver's bodies, parsed. */
  const hooked: { event: string; data: { connectionId: string; message: string } }[] = [];
  let receiver: Server;

  const report = (key: string, connectionId: string, problem = TERMS, refusedAt?: Date) => request(`${registry.url}/internal/connections/${connectionId}/terms-problem`, 'POST', { key, body: { problem, refusedAt: refusedAt?.toISOString() } });

  async function microsoftConnection(): Promise<string> {
    const created = await admin('POST', '/connections', { displayName: 'MS', destination: 'microsoft-advertising', usableBy: 'administrators-and-contributors', consent: { agreed: true } });
    expect(created.status).toBe(201);
    await completeOAuth(registry, created.body.id);
    return created.body.id;
  }

  const exportOn = async (connectionId: string) => {
    const created = await admin('POST', '/exports', { displayName: uniqueName('terms'), connectionId, segments: [{ id: 's1', name: 'Loyal customers' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect(created.status).toBe(201);
    return created.body as { id: string; version: number };
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators, { WEBHOOK_POLL_MS: '100' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooked.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    admin = registry.as('admin');
    contributor = registry.as('contributor');
  });

  afterAll(async () => {
    await registry?.close();
    await emulators?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('a sink reports it on its own destination’s connections only; the status says what to accept where and how to confirm', async () => {
    const id = await microsoftConnection();
    expect((await report(keys.sinkFacebook, id)).status).toBe(403);
    expect((await report(keys.sinkMicrosoft, 'no-such-connection')).status).toBe(404);
    expect((await report(keys.sinkMicrosoft, id, '')).status).toBe(400);
    expect((await admin('GET', `/connections/${id}`)).body.status).toBe('ready');

    expect((await report(keys.sinkMicrosoft, id)).status).toBe(204);
    const flagged = (await admin('GET', `/connections/${id}`)).body;
    expect(flagged.status).toBe('terms-not-accepted');
    expect(flagged.statusMessage).toContain(TERMS);
    expect(flagged.statusMessage).toContain(`POST /connections/${id}/terms-accepted`);
    expect((await contributor('GET', '/connections')).body.items.find((c: { id: string }) => c.id === id).status).toBe('terms-not-accepted');
  });

  it('posts connection.terms-not-accepted once, however many sinks report it, and again after a confirmation the platform refuses', async () => {
    const hook = await admin('POST', '/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/terms`, events: ['connection.terms-not-accepted'] });
    expect(hook.status).toBe(201);
    const id = await microsoftConnection();
    const mine = () => hooked.filter((h) => h.data.connectionId === id);
    await Promise.all([report(keys.sinkMicrosoft, id), report(keys.sinkMicrosoft, id)]);
    const [first] = await eventually(() => mine().length > 0 && mine(), 10000, 'the terms-not-accepted delivery');
    expect(first).toMatchObject({ event: 'connection.terms-not-accepted', data: { connectionId: id, destination: 'microsoft-advertising', message: expect.stringContaining(TERMS) } });
    await report(keys.sinkMicrosoft, id);
    await new Promise((r) => setTimeout(r, 1000));
    expect(mine()).toHaveLength(1);

    expect((await admin('POST', `/connections/${id}/terms-accepted`)).status).toBe(200);
    await report(keys.sinkMicrosoft, id);
    await eventually(() => mine().length === 2, 10000, 'a second delivery after the confirmation');
  });

  it('a refusal made before the confirmation but reported after it leaves the connection ready; one made after it flags it again', async () => {
    const id = await microsoftConnection();
    await report(keys.sinkMicrosoft, id);
    const refusedBefore = new Date();
    expect((await admin('POST', `/connections/${id}/terms-accepted`)).status).toBe(200);
    expect((await report(keys.sinkMicrosoft, id, TERMS, refusedBefore)).status).toBe(204);
    expect((await admin('GET', `/connections/${id}`)).body.status).toBe('ready');

    expect((await report(keys.sinkMicrosoft, id, TERMS, new Date())).status).toBe(204);
    expect((await admin('GET', `/connections/${id}`)).body.status).toBe('terms-not-accepted');
    expect((await request(`${registry.url}/internal/connections/${id}/terms-problem`, 'POST', { key: keys.sinkMicrosoft, body: { problem: TERMS, refusedAt: 'yesterday' } })).status).toBe(400);
  });

  it('only administrators confirm; the confirmation clears it, starts a full sync of each export that is not paused, and is audited', async () => {
    const id = await microsoftConnection();
    const running = await exportOn(id);
    const paused = await exportOn(id);
    expect((await request(`${registry.url}/exports/${paused.id}`, 'PATCH', { key: keys.admin, headers: { 'if-match': `"${paused.version}"` }, body: { paused: true } })).status).toBe(200);
    await report(keys.sinkMicrosoft, id);

    expect((await contributor('POST', `/connections/${id}/terms-accepted`)).status).toBe(403);
    expect((await admin('GET', `/connections/${id}`)).body.status).toBe('terms-not-accepted');
    expect((await admin('POST', '/connections/no-such-connection/terms-accepted')).status).toBe(404);

    const confirmed = await admin('POST', `/connections/${id}/terms-accepted`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ id, status: 'ready', startedRuns: [{ exportId: running.id, runId: expect.any(String) }] });
    expect(confirmed.body.startedRuns).toHaveLength(1);
    const runs = (await admin('GET', `/exports/${running.id}/runs`)).body.items;
    expect(runs.map((r: { id: string }) => r.id)).toEqual([confirmed.body.startedRuns[0].runId]);
    expect((await admin('GET', `/exports/${paused.id}/runs`)).body.items).toEqual([]);

    const audit = (await admin('GET', `/audit?objectType=connection&objectId=${id}`)).body.items;
    expect(audit[0]).toMatchObject({ actor: { name: 'alice', role: 'administrator' }, action: 'update', changedFields: ['termsProblem'] });
    expect((await admin('GET', `/audit?objectType=export&objectId=${running.id}`)).body.items[0]).toMatchObject({ action: 'run-requested', runId: confirmed.body.startedRuns[0].runId });
  });

  it('a connection that must sign in again is not confirmed: 409 says to sign in first', async () => {
    const id = await microsoftConnection();
    await report(keys.sinkMicrosoft, id);
    expect((await request(`${registry.url}/internal/connections/${id}/auth-failure`, 'POST', { key: keys.sinkMicrosoft, body: { problem: 'Microsoft Advertising rejected the access token after a refresh' } })).status).toBe(204);
    const refused = await admin('POST', `/connections/${id}/terms-accepted`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain(`POST /connections/${id}/authorize`);
  });
});
