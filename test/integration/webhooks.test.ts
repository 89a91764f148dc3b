import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import mongoose from 'mongoose';
import { Topics } from '@audience-sync/contracts';
import { ContractProducer } from '@audience-sync/kafka';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, keys, Registry, startRegistry } from '../support/registry-harness';
import { eventually, uniqueName } from '../support/env';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver: records every request; a path answers the statuses queued for it, then 200. */
async function startReceiver() {
  const received: Received[] = [];
  const answers = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers.get(req.url!)?.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, answers, at: (path: string) => received.filter((r) => r.path === path), close: () => new Promise((r) => server.close(r)) };
}

/** As a receiver checks it, written here from the documented rule rather than with the registry's code. */
function verifies(secret: string, request: Received): boolean {
  const timestamp = String(request.headers['x-audiencesync-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-audiencesync-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks: alerts to people', () => {
  let emulators: Emulators;
  let registry: Registry;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: ReturnType<Registry['as']>;

  beforeAll(async () => {
    emulators = await startEmulators();
    // Retries a few tenths of a second apart, and the expiry check every half second.
    registry = await startRegistry(emulators, { WEBHOOK_RETRY_SCHEDULE_SECONDS: '0.3,0.3,0.3,0.3', WEBHOOK_POLL_MS: '100', WEBHOOK_EXPIRY_CHECK_MS: '500' });
    receiver = await startReceiver();
    admin = registry.as('admin');
  });

  afterAll(async () => {
    await registry.close();
    await receiver.close();
    await emulators.close();
  });

  async function microsoftExport() {
    const connection = await admin('POST', '/connections', { displayName: 'MS', destination: 'microsoft-advertising', consent: { agreed: true } });
    await completeOAuth(registry, connection.body.id);
    const created = await admin('POST', '/exports', { displayName: 'Hooked', connectionId: connection.body.id, segments: [{ id: 'seg', name: 'Seg' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } });
    expect(created.status).toBe(201);
    return { connectionId: connection.body.id as string, exportId: created.body.id as string };
  }

  async function webhook(path: string, events: string[], extra: Record<string, unknown> = {}) {
    const created = await admin('POST', '/webhooks', { url: `${receiver.url}${path}`, events, ...extra });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  }

  function report(exportId: string, runId: string, stage: 'segment-streamer' | 'sink-microsoft-ads', state: 'succeeded' | 'failed', counts: { sent: number; invalid: number }, error?: string) {
    return { key: runId, value: { runId, exportId, stage, state, trigger: 'refresh' as const, counts: { removed: 0, failed: 0, ...counts }, at: new Date().toISOString(), ...(error ? { error } : {}) } };
  }

  it('refuses contributors, plain http to other hosts, and unknown exports', async () => {
    const contributor = registry.as('contributor');
    expect((await contributor('GET', '/webhooks')).status).toBe(403);
    expect((await contributor('POST', '/webhooks', { url: `${receiver.url}/x`, events: ['run.failed'] })).status).toBe(403);
    expect((await contributor('DELETE', '/webhooks/anything')).status).toBe(403);
    expect((await contributor('GET', '/webhooks/anything/deliveries')).status).toBe(403);
    const plain = await admin('POST', '/webhooks', { url: 'http://alerts.example.com/hook', events: ['run.failed'] });
    expect(plain.status).toBe(400);
    expect(plain.body.error.details[0].message).toMatch(/must use https \(http is accepted only for 127\.0\.0\.1 or localhost/);
    expect((await admin('POST', '/webhooks', { url: 'https://alerts.example.com/hook', events: ['run.failed'], exportId: 'no-such-export' })).status).toBe(400);
    expect((await admin('POST', '/webhooks', { url: 'https://alerts.example.com/hook', events: [] })).status).toBe(400);
  });

  it('shows the signing secret once: GET never returns it and the database holds it sealed', async () => {
    const created = await webhook('/secret', ['run.failed']);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await admin('GET', '/webhooks?limit=100');
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((w: { id: string }) => w.id === created.id);
    expect(mine).toMatchObject({ url: `${receiver.url}/secret`, events: ['run.failed'], exportId: null, invalidShareThreshold: 0.2 });
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    expect(JSON.stringify((await admin('GET', `/webhooks/${created.id}/deliveries`)).body)).not.toContain(created.secret);
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const stored = await db.collection('webhooks').findOne({ _id: created.id as never });
    await db.close();
    expect(stored!.secret.keyId).toBe('test1');
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(6));
    expect((await admin('DELETE', `/webhooks/${created.id}`)).status).toBe(204);
    expect((await admin('GET', `/webhooks/${created.id}/deliveries`)).status).toBe(404);
    // Who made and removed it is in the audit log; the secret is not.
    const audit = await admin('GET', `/audit?objectType=webhook&objectId=${created.id}`);
    expect(audit.body.items.map((e: { action: string; actor: { name: string } }) => [e.action, e.actor.name])).toEqual([['delete', 'alice'], ['create', 'alice']]);
    expect(JSON.stringify(audit.body)).not.toContain(created.secret);
  });

  it('posts a signed run.failed for a run that failed, with ids, counts and the error', async () => {
    const { exportId } = await microsoftExport();
    const hook = await webhook('/failed', ['run.failed'], { exportId });
    const runId = uniqueName('run');
    await registry.app.get(ContractProducer).send(Topics.runStatusFromStreamer, [report(exportId, runId, 'segment-streamer', 'failed', { sent: 0, invalid: 3 }, 'the export has more than 500,000 profiles')]);
    const [request] = await eventually(() => receiver.at('/failed').length > 0 && receiver.at('/failed'), 20000, 'the run.failed delivery');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-audiencesync-event']).toBe('run.failed');
    expect(Math.abs(Number(request.headers['x-audiencesync-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifies(hook.secret, request)).toBe(true);
    expect(verifies(hook.secret, { ...request, body: request.body.replace(runId, 'another-run') })).toBe(false);
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      id: request.headers['x-audiencesync-delivery'],
      event: 'run.failed',
      occurredAt: expect.any(String),
      data: { exportId, runId, trigger: 'refresh', error: 'the export has more than 500,000 profiles', counts: { sent: 0, removed: 0, invalid: 3, failed: 0 } },
    });
    const deliveries = await eventually(async () => {
      const listed = await admin('GET', `/webhooks/${hook.id}/deliveries`);
      return listed.body.items[0]?.status === 'delivered' && listed.body.items;
    }, 10000, 'the delivery to be recorded as delivered');
    expect(deliveries).toEqual([expect.objectContaining({ id: body.id, event: 'run.failed', status: 'delivered', attempts: 1, lastStatusCode: 200 })]);
  });

  it('retries a receiver that answers 500 twice, delivering on the third attempt', async () => {
    const { exportId } = await microsoftExport();
    receiver.answers.set('/flaky', [500, 500]);
    const hook = await webhook('/flaky', ['run.failed'], { exportId });
    await registry.app.get(ContractProducer).send(Topics.runStatusFromStreamer, [report(exportId, uniqueName('run'), 'segment-streamer', 'failed', { sent: 0, invalid: 0 }, 'failed')]);
    const [delivery] = await eventually(async () => {
      const listed = await admin('GET', `/webhooks/${hook.id}/deliveries`);
      return listed.body.items[0]?.status === 'delivered' && listed.body.items;
    }, 20000, 'the delivery to succeed');
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
    const attempts = receiver.at('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['x-audiencesync-delivery']))).toEqual(new Set([delivery.id]));
    expect(attempts.every((a) => verifies(hook.secret, a))).toBe(true);
  });

  it('posts run.invalid-share when a finished run has more invalid rows than the webhook allows', async () => {
    const { exportId } = await microsoftExport();
    await webhook('/invalid', ['run.invalid-share'], { exportId, invalidShareThreshold: 0.3 });
    const producer = registry.app.get(ContractProducer);
    const [under, over] = [uniqueName('run'), uniqueName('run')];
    // 2 of 10 rows invalid (20 %, under the 30 % asked for), then 5 of 15 (33 %).
    await producer.send(Topics.runStatusFromStreamer, [report(exportId, under, 'segment-streamer', 'succeeded', { sent: 8, invalid: 2 }), report(exportId, over, 'segment-streamer', 'succeeded', { sent: 10, invalid: 4 })]);
    await producer.send(Topics.runStatusFromMicrosoft, [report(exportId, under, 'sink-microsoft-ads', 'succeeded', { sent: 8, invalid: 0 }), report(exportId, over, 'sink-microsoft-ads', 'succeeded', { sent: 10, invalid: 1 })]);
    const [request] = await eventually(() => receiver.at('/invalid').length > 0 && receiver.at('/invalid'), 20000, 'the run.invalid-share delivery');
    expect(JSON.parse(request.body).data).toEqual({ exportId, runId: over, trigger: 'refresh', counts: expect.objectContaining({ sent: 10, invalid: 5 }), invalidShare: 0.3333, threshold: 0.3 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.at('/invalid')).toHaveLength(1);
  });

  it('posts connection.needs-reauthentication once when sinks report rejected credentials', async () => {
    const { connectionId } = await microsoftExport();
    await webhook('/reauth', ['connection.needs-reauthentication']);
    const rejected = () =>
      fetch(`${registry.url}/internal/connections/${connectionId}/auth-failure`, { method: 'POST', headers: { authorization: `Bearer ${keys.sinkMicrosoft}`, 'content-type': 'application/json' }, body: JSON.stringify({ problem: 'the refresh token was revoked' }) });
    expect((await rejected()).status).toBe(204);
    expect((await rejected()).status).toBe(204);
    const mine = () => receiver.at('/reauth').filter((r) => JSON.parse(r.body).data.connectionId === connectionId);
    const [request] = await eventually(() => mine().length > 0 && mine(), 10000, 'the needs-reauthentication delivery');
    expect(JSON.parse(request.body).data).toEqual({ connectionId, destination: 'microsoft-advertising', message: expect.stringMatching(/^the refresh token was revoked; re-authenticate: POST \/connections\/.+\/authorize/) });
    await new Promise((r) => setTimeout(r, 1000));
    expect(mine()).toHaveLength(1);
  });

  it('posts connection.token-expiring once for a Facebook token expiring in 6 days, and not for one expiring in 10', async () => {
    const signedIn = async () => {
      const created = await admin('POST', '/connections', { displayName: 'FB', destination: 'facebook-ads', consent: { agreed: true } });
      expect((await completeOAuth(registry, created.body.id)).status).toBe(200);
      return created.body.id as string;
    };
    const [soon, later] = [await signedIn(), await signedIn()];
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60 * 1000);
    await db.collection('connections').updateOne({ _id: soon as never }, { $set: { credentialsExpireAt: inDays(6) } });
    await db.collection('connections').updateOne({ _id: later as never }, { $set: { credentialsExpireAt: inDays(10) } });
    await db.close();
    const hook = await webhook('/expiring', ['connection.token-expiring']);
    const about = (id: string) => receiver.at('/expiring').filter((r) => JSON.parse(r.body).data.connectionId === id);
    const [request] = await eventually(() => about(soon).length > 0 && about(soon), 10000, 'the token-expiring delivery');
    expect(verifies(hook.secret, request)).toBe(true);
    expect(JSON.parse(request.body).data).toEqual({ connectionId: soon, destination: 'facebook-ads', expiresAt: expect.any(String), message: expect.stringMatching(/expires in 6 day\(s\).*POST \/connections\/.+\/authorize/) });
    // Several more checks (every half second) find the same expiry: no second alert.
    await new Promise((r) => setTimeout(r, 2000));
    expect(about(soon)).toHaveLength(1);
    expect(about(later)).toHaveLength(0);
  });
});
