import mongoose from 'mongoose';
import { configAppliedTopics, PipelineStage, Topics } from '@audience-sync/contracts';
import { ContractProducer } from '@audience-sync/kafka';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, keys, Registry, startRegistry } from '../support/registry-harness';
import { ExportConfigReader } from '../support/export-config-reader';
import { eventually, uniqueName } from '../support/env';
import { drained } from '../support/drained';
import { ExportsService } from '../../services/connection-registry/src/exports/exports.service';
import { RunStatusConsumer } from '../../services/connection-registry/src/runs/run-status.consumer';

/** As the consumer does: a batch that failed (e.g. a duplicate key from a racing insert) is handled again. */
async function retried(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

const CUSTOM = '23850000000000001';
const LOOKALIKE = '23850000000000003';

describe('connection registry over HTTP', () => {
  let emulators: Emulators;
  let registry: Registry;
  let admin: Registry['as'] extends (r: any) => infer F ? F : never;
  let contributor: typeof admin;
  let anonymous: typeof admin;
  const configReader = new ExportConfigReader();
  const configs = configReader.configs;

  async function facebookConnection(usableBy = 'administrators', audienceId = CUSTOM) {
    const created = await admin('POST', '/connections', { displayName: 'FB', destination: 'facebook-ads', usableBy, consent: { agreed: true } });
    expect(created.status).toBe(201);
    expect((await completeOAuth(registry, created.body.id)).status).toBe(200);
    const chosen = await admin('PUT', `/connections/${created.body.id}/facebook/audience`, { adAccountId: 'act_1001', audienceId });
    expect(chosen.status).toBe(200);
    return chosen.body;
  }

  async function microsoftConnection(usableBy = 'administrators') {
    const created = await admin('POST', '/connections', { displayName: 'MS', destination: 'microsoft-advertising', usableBy, consent: { agreed: true } });
    await completeOAuth(registry, created.body.id);
    return created.body;
  }

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    admin = registry.as('admin');
    contributor = registry.as('contributor');
    anonymous = registry.as('none');
    await configReader.start();
  });

  afterAll(async () => {
    await configReader.stop();
    await registry.close();
    await emulators.close();
  });

  it('answers 401 without a key, 403 for a forbidden role, before revealing whether anything exists', async () => {
    expect((await anonymous('GET', '/connections')).status).toBe(401);
    expect((await anonymous('GET', '/connections/nope')).body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    expect((await contributor('POST', '/connections', { displayName: 'x', destination: 'facebook-ads', consent: { agreed: true } })).status).toBe(403);
    expect((await contributor('DELETE', '/connections/does-not-exist')).status).toBe(403);
    expect((await contributor('POST', '/connections/does-not-exist/authorize')).status).toBe(403);
    expect((await contributor('POST', '/profiles/p-1/erase')).status).toBe(403);
    expect((await anonymous('POST', '/profiles/p-1/erase')).status).toBe(401);
    expect((await admin('POST', `/profiles/${'x'.repeat(201)}/erase`)).status).toBe(400);
    expect((await admin('DELETE', '/connections/does-not-exist')).status).toBe(404);
    expect((await registry.as('none')('GET', '/health/live')).status).toBe(200);
  });

  it('refuses a connection without "I agree" and records who agreed and when', async () => {
    const refused = await admin('POST', '/connections', { displayName: 'No consent', destination: 'facebook-ads' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'consent', message: expect.stringMatching(/consent is required/) }]);
    const notAgreed = await admin('POST', '/connections', { displayName: 'No', destination: 'facebook-ads', consent: { agreed: false } });
    expect(notAgreed.body.error.details[0].message).toMatch(/I agree/);
    const ok = await admin('POST', '/connections', { displayName: 'Yes', destination: 'microsoft-advertising', consent: { agreed: true } });
    expect(ok.body).toMatchObject({ usableBy: 'administrators', consent: { agreed: true, agreedBy: 'alice', agreedAt: expect.any(String) }, status: 'awaiting-authentication' });
  });

  it('runs the Facebook OAuth flow, lists ad accounts and audiences, and refuses a non-customer-list audience', async () => {
    const created = await admin('POST', '/connections', { displayName: 'Facebook', destination: 'facebook-ads', consent: { agreed: true } });
    const landed = await completeOAuth(registry, created.body.id);
    expect(new URL(landed.callback).searchParams.get('state')!.length).toBeGreaterThanOrEqual(40);
    expect(landed).toMatchObject({ status: 200, page: expect.stringContaining('Signed in') });
    expect((await admin('GET', `/connections/${created.body.id}`)).body).toMatchObject({ status: 'awaiting-audience', authenticated: true });
    expect((await fetch(landed.callback, { headers: { cookie: landed.cookie } })).status).toBe(400); // the state is single-use
    const accounts = await admin('GET', `/connections/${created.body.id}/facebook/ad-accounts`);
    expect(accounts.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'act_1001' })]));
    const audiences = await admin('GET', `/connections/${created.body.id}/facebook/audiences?adAccountId=act_1001`);
    expect(audiences.body.items.find((a: any) => a.id === LOOKALIKE)).toMatchObject({ selectable: false, reason: expect.stringMatching(/LOOKALIKE/) });
    const refused = await admin('PUT', `/connections/${created.body.id}/facebook/audience`, { adAccountId: 'act_1001', audienceId: LOOKALIKE });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(`the Facebook audience ${LOOKALIKE} is a LOOKALIKE audience; exports need a customer-list audience (subtype CUSTOM): pick another or create a new one`);
    const createdAudience = await admin('PUT', `/connections/${created.body.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'audience-sync list' } });
    expect(createdAudience.body).toMatchObject({ status: 'ready', facebook: { adAccountId: '1001', audienceName: 'audience-sync list' } });
  });

  it('flags an expired Facebook token: the connection asks for re-authentication and the sinks are refused a token', async () => {
    const connection = await facebookConnection();
    await fetch(`${emulators.facebook.url}/_emulator/tokens/expire`, { method: 'POST' });
    const listing = await admin('GET', `/connections/${connection.id}/facebook/ad-accounts`);
    expect(listing.status).toBe(409);
    expect(listing.body.error.message).toMatch(/re-authenticate/);
    const after = await admin('GET', `/connections/${connection.id}`);
    expect(after.body).toMatchObject({ status: 'needs-reauthentication', statusMessage: expect.stringMatching(/POST \/connections\/.*\/authorize/) });
    const token = await fetch(`${registry.url}/internal/connections/${connection.id}/access-token`, { method: 'POST', headers: { authorization: `Bearer ${keys.sinkFacebook}`, 'content-type': 'application/json' }, body: '{}' });
    expect(token.status).toBe(409);
    expect((await completeOAuth(registry, connection.id)).status).toBe(200);
    expect((await admin('GET', `/connections/${connection.id}`)).body.status).toBe('ready');
  });

  it('runs the Microsoft OAuth flow and stores the rotated refresh token after every refresh', async () => {
    const connection = await microsoftConnection();
    const internal = (forceRefresh: boolean) =>
      fetch(`${registry.url}/internal/connections/${connection.id}/access-token`, { method: 'POST', headers: { authorization: `Bearer ${keys.sinkMicrosoft}`, 'content-type': 'application/json' }, body: JSON.stringify({ forceRefresh }) });
    expect((await fetch(`${registry.url}/internal/connections/${connection.id}/access-token`, { method: 'POST' })).status).toBe(401);
    const first = (await (await internal(true)).json()) as any;
    const second = (await (await internal(true)).json()) as any;
    expect(first.accessToken).not.toBe(second.accessToken);
    // Each forced refresh used the refresh token stored by the previous one; with rotation, a stale one would have failed.
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const stored = await db.collection('connections').findOne({ _id: connection.id as never });
    await db.close();
    expect(stored!.credentials.keyId).toBe('test1');
    await fetch(`${emulators.microsoft.url}/_emulator/refresh-tokens/revoke`, { method: 'POST' });
    expect((await internal(true)).status).toBe(409);
    expect((await admin('GET', `/connections/${connection.id}`)).body.status).toBe('needs-reauthentication');
  });

  it('never returns or stores a token in plain text', async () => {
    const fb = await facebookConnection();
    const ms = await microsoftConnection();
    const tokens = [...emulators.facebook.state.tokens.keys()];
    const responses = JSON.stringify([await admin('GET', '/connections?limit=100'), await admin('GET', `/connections/${fb.id}`), await admin('GET', `/connections/${ms.id}`)]);
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const documents = JSON.stringify(await Promise.all(['connections', 'exports', 'oauthstates', 'runs'].map((c) => db.collection(c).find().toArray())));
    await db.close();
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) {
      expect(responses).not.toContain(token);
      expect(documents).not.toContain(token);
    }
    // Token-like prefixes anywhere but in sealed secrets, whose random base64 may hold them by chance
    // (more likely the more connections earlier test files left in this database).
    const unsealed = documents.replace(/"keyId":"[^"]*","iv":"[^"]*","tag":"[^"]*","data":"[^"]*"/g, '"sealed"');
    expect(unsealed).toContain('"sealed"');
    expect(unsealed).not.toMatch(/M\.R3_|EwB|EAA/);
    expect(responses).not.toMatch(/M\.R3_|EwB|EAA|credentials/);
  });

  it('validates exports per destination, with field-level messages', async () => {
    const fb = await facebookConnection();
    const ms = await microsoftConnection();
    const bad = await admin('POST', '/exports', { displayName: 'x', connectionId: fb.id, segments: [{ id: 's1', name: 'S1' }], facebook: { keyIdentifier: 'name-and-address', mappings: { FN: 'FirstName' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path)).toEqual(['facebook.mappings.LN', 'facebook.mappings.ZIP']);
    const wrongBlock = await admin('POST', '/exports', { displayName: 'x', connectionId: ms.id, segments: [{ id: 's1', name: 'S1' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } } });
    expect(wrongBlock.body.error.details.map((d: any) => d.path)).toEqual(['facebook', 'microsoft']);
    const badIds = await admin('POST', '/exports', { displayName: 'x', connectionId: ms.id, segments: [{ id: 's1', name: 'S1' }], microsoft: { customerId: 'abc', accountId: '12', emailAttribute: 'PrimaryEmail' } });
    expect(badIds.body.error.details[0]).toMatchObject({ path: 'microsoft.customerId', message: expect.stringMatching(/numeric cid/) });
    expect((await admin('POST', '/exports', { displayName: 'x', connectionId: ms.id, segments: [], microsoft: { customerId: '1', accountId: '2', emailAttribute: 'E' } })).body.error.details[0].path).toBe('segments');
    const good = await admin('POST', '/exports', { displayName: 'Loyal', connectionId: ms.id, segments: [{ id: 's1', name: 'Loyal customers' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect(good.status).toBe(201);
    const config = await eventually(() => configs.get(good.body.id), 10000, 'the published config');
    expect(config).toMatchObject({ maxProfiles: 500_000, connectionState: 'active', destination: { type: 'microsoft-advertising', customerId: '1000001', acceptCustomerMatchTerms: true } });
    expect(JSON.stringify(config)).not.toMatch(/token/i);
    const fbExport = await admin('POST', '/exports', { displayName: 'FB', connectionId: fb.id, segments: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone' } } });
    expect((await eventually(() => configs.get(fbExport.body.id), 10000)).maxProfiles).toBe(10_000_000);
    expect((await admin('GET', `/exports/${fbExport.body.id}/runs`)).body.items).toEqual([]);
  });

  it('lets contributors configure exports only on connections they may use', async () => {
    const adminsOnly = await microsoftConnection('administrators');
    const shared = await microsoftConnection('administrators-and-contributors');
    const body = (connectionId: string) => ({ displayName: 'c', connectionId, segments: [{ id: 's', name: 'S' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } });
    expect((await contributor('POST', '/exports', body(adminsOnly.id))).status).toBe(400);
    expect((await contributor('GET', `/connections/${adminsOnly.id}`)).status).toBe(404);
    const listed = (await contributor('GET', '/connections?limit=100')).body.items.map((c: any) => c.id);
    expect(listed).toContain(shared.id);
    expect(listed).not.toContain(adminsOnly.id);
    const made = await contributor('POST', '/exports', body(shared.id));
    expect(made.status).toBe(201);
    const adminsExport = await admin('POST', '/exports', body(adminsOnly.id));
    expect((await contributor('GET', `/exports/${adminsExport.body.id}`)).status).toBe(404);
    expect((await contributor('DELETE', `/exports/${adminsExport.body.id}`)).status).toBe(404);
  });

  it('starts a run, publishes the request, and shows progress from the run-status topics in the history', async () => {
    const ms = await microsoftConnection();
    const created = await admin('POST', '/exports', { displayName: 'Runs', connectionId: ms.id, segments: [{ id: 'seg', name: 'Seg' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } });
    const run = await admin('POST', `/exports/${created.body.id}/runs`);
    expect(run.status).toBe(202);
    expect(run.body).toMatchObject({ exportId: created.body.id, trigger: 'on-demand', state: 'pending', requestedBy: 'alice' });
    const producer = registry.app.get(ContractProducer);
    const status = (stage: 'segment-streamer' | 'sink-microsoft-ads', state: 'running' | 'succeeded', sent: number, invalidByReason?: Record<string, number>) => ({
      key: run.body.id,
      value: { runId: run.body.id, exportId: created.body.id, stage, state, counts: { sent, removed: 1, invalid: 2, failed: 0, ...(invalidByReason ? { invalidByReason } : {}) }, at: new Date().toISOString() },
    });
    await producer.send(Topics.runStatusFromStreamer, [status('segment-streamer', 'succeeded', 10, { 'no-mapped-identifier': 2 })]);
    await producer.send(Topics.runStatusFromMicrosoft, [status('sink-microsoft-ads', 'running', 4), status('sink-microsoft-ads', 'succeeded', 10)]);
    const done = await eventually(async () => {
      const history = await admin('GET', `/exports/${created.body.id}/runs`);
      return history.body.items[0]?.state === 'succeeded' ? history.body.items[0] : undefined;
    }, 20000, 'the run to succeed in the history');
    // The streamer's drops never reach the sink: the run counts both stages' invalid rows, by reason.
    expect(done.counts).toEqual({ sent: 10, removed: 1, invalid: 4, failed: 0, invalidByReason: { 'no-mapped-identifier': 2, 'rejected-by-hasher-or-platform': 2 } });
  });

  it('keeps every stage\'s report of a run when the stages report at the same moment, and succeeds only when both succeeded', async () => {
    const ms = await microsoftConnection();
    const created = await admin('POST', '/exports', { displayName: 'Together', connectionId: ms.id, segments: [{ id: 'seg', name: 'Seg' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } });
    const exportId = created.body.id as string;
    const report = (runId: string, stage: 'segment-streamer' | 'sink-microsoft-ads', sent: number) => ({
      value: { runId, exportId, stage, trigger: 'refresh' as const, state: 'succeeded' as const, counts: { sent, removed: 0, invalid: 1, failed: 0 }, at: new Date().toISOString() },
    });
    // Runs a refresh started (the registry learns of them from the reports) and runs started here.
    const runIds = [...Array.from({ length: 10 }, () => uniqueName('refresh-run')), ...(await Promise.all(Array.from({ length: 30 }, async () => (await admin('POST', `/exports/${exportId}/runs`)).body.id as string)))];
    // Each stage's topic has a consumer of its own in the registry: their reports of one run are folded in at the same moment.
    const consumer = registry.app.get(RunStatusConsumer);
    const fold = (id: string, stage: 'segment-streamer' | 'sink-microsoft-ads', sent: number) => retried(() => consumer.apply([report(id, stage, sent)] as never));
    await Promise.all(runIds.map((id) => Promise.all([fold(id, 'segment-streamer', 7), fold(id, 'sink-microsoft-ads', 6)])));
    const history = (await admin('GET', `/exports/${exportId}/runs?limit=100`)).body.items as { id: string; state: string; stages: Record<string, unknown>; counts: { invalid: number } }[];
    expect(history.map((r) => r.id).sort()).toEqual([...runIds].sort());
    const incomplete = history.filter((r) => Object.keys(r.stages).length !== 2 || r.state !== 'succeeded' || r.counts.invalid !== 2);
    expect(incomplete).toEqual([]);

    // The sink done first is not the run done: the streamer's counts are still to come.
    const fresh = uniqueName('refresh-run');
    await fold(fresh, 'sink-microsoft-ads', 6);
    expect((await admin('GET', `/exports/${exportId}/runs?limit=100`)).body.items.find((r: { id: string }) => r.id === fresh)).toMatchObject({ state: 'running' });
  });

  it('shows an export saved until the hasher, the streamer and its sink all applied the saved version, and never goes back', async () => {
    const ms = await microsoftConnection();
    const created = await admin('POST', '/exports', { displayName: 'Applied', connectionId: ms.id, segments: [{ id: 'seg', name: 'Seg' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } });
    const id = created.body.id as string;
    expect(created.body.pipeline).toEqual({ savedVersion: 1, appliedVersion: null, state: 'saved' });
    const producer = registry.app.get(ContractProducer);
    // Reports as the stages send them; each waits until the registry has read its topic to the end, so what the view shows next follows from all of them.
    const report = async (stage: PipelineStage, version: number, exportId = id) => {
      await producer.send(configAppliedTopics[stage], [{ key: exportId, value: { exportId, stage, version } }]);
      await drained([[`connection-registry.${configAppliedTopics[stage].name}`, configAppliedTopics[stage]]], 20000);
    };
    const pipeline = async () => (await admin('GET', `/exports/${id}`)).body.pipeline;

    await report('segment-streamer', 1);
    expect(await pipeline()).toEqual({ savedVersion: 1, appliedVersion: null, state: 'saved' });
    await report('sink-microsoft-ads', 1);
    // Without the hasher, the export's attributes are not yet hashed by its rules.
    expect(await pipeline()).toEqual({ savedVersion: 1, appliedVersion: null, state: 'saved' });
    await report('identifier-hasher', 1);
    expect(await pipeline()).toEqual({ savedVersion: 1, appliedVersion: 1, state: 'active' });
    expect((await admin('GET', '/exports?limit=100')).body.items.find((e: { id: string }) => e.id === id).pipeline.state).toBe('active');

    const changed = await admin('PATCH', `/exports/${id}`, { displayName: 'Applied, renamed' });
    expect(changed.body.pipeline).toEqual({ savedVersion: 2, appliedVersion: 1, state: 'saved' });
    // The sink has it; the streamer (stopped, say) does not: still saved. Another destination's sink does not count.
    await report('sink-microsoft-ads', 2);
    await report('sink-facebook', 2);
    await report('identifier-hasher', 2);
    expect(await pipeline()).toEqual({ savedVersion: 2, appliedVersion: 1, state: 'saved' });
    await report('segment-streamer', 2);
    expect(await pipeline()).toEqual({ savedVersion: 2, appliedVersion: 2, state: 'active' });
    // A stage replaying older reports (a restart re-reads its topic) takes nothing back.
    await report('segment-streamer', 1);
    await report('sink-microsoft-ads', 1);
    expect(await pipeline()).toEqual({ savedVersion: 2, appliedVersion: 2, state: 'active' });

    // A deleted export shows nothing, whatever a stage still reports for it.
    expect((await admin('DELETE', `/exports/${id}`)).status).toBe(204);
    await report('segment-streamer', 2);
    expect((await admin('GET', `/exports/${id}`)).status).toBe(404);
  });

  it('publishes a tombstone before acknowledging a deletion, and refuses deleting a used connection without cascade', async () => {
    const ms = await microsoftConnection();
    const body = { displayName: 'gone', connectionId: ms.id, segments: [{ id: 's', name: 'S' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } };
    const one = await admin('POST', '/exports', body);
    const two = await admin('POST', '/exports', body);
    await eventually(() => configs.get(two.body.id), 10000);
    expect((await admin('DELETE', `/exports/${one.body.id}`)).status).toBe(204);
    await eventually(() => configs.get(one.body.id) === null, 10000, 'the tombstone');
    expect((await admin('GET', `/exports/${one.body.id}`)).status).toBe(404);
    const refused = await admin('DELETE', `/connections/${ms.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/cascade=true/);
    expect((await admin('DELETE', `/connections/${ms.id}?cascade=true`)).status).toBe(204);
    await eventually(() => configs.get(two.body.id) === null, 10000, 'the cascaded tombstone');
  });

  it('refuses a route of one destination on a connection of another, and leaves that connection as it was', async () => {
    const ms = await microsoftConnection();
    for (const [method, path, body] of [
      ['GET', `/connections/${ms.id}/facebook/ad-accounts`],
      ['GET', `/connections/${ms.id}/facebook/audiences?adAccountId=act_1001`],
      ['PUT', `/connections/${ms.id}/facebook/audience`, { adAccountId: 'act_1001', audienceId: CUSTOM }],
    ] as const) {
      const answer = await admin(method, path, body);
      expect(answer.status).toBe(409);
      expect(answer.body.error.message).toMatch(/is a microsoft-advertising connection; the \/facebook routes work only on facebook-ads connections/);
    }
    expect((await admin('GET', `/connections/${ms.id}`)).body.status).toBe('ready');
  });

  it('gives each Facebook export the audience it feeds, and moves exports to a new connection audience only when told which', async () => {
    const fb = await facebookConnection();
    // An audience of its own, so exports of other tests on the shared emulator's audiences do not count.
    const CUSTOM = (await admin('PUT', `/connections/${fb.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'first' } })).body.facebook.audienceId;
    const body = (extra: object = {}) => ({ displayName: 'x', connectionId: fb.id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' }, ...extra } });
    const first = await admin('POST', '/exports', body());
    expect(first.body.audiences).toEqual([{ adAccountId: '1001', audienceId: CUSTOM, name: expect.any(String), alsoFedBy: [] }]);
    const own = await admin('POST', '/exports', body({ audience: { adAccountId: 'act_1001', create: { name: 'own list' } } }));
    expect(own.status).toBe(201);
    expect(own.body.audiences[0]).toMatchObject({ name: 'own list', alsoFedBy: [] });
    expect((await admin('POST', '/exports', body({ audience: { adAccountId: 'act_1001', audienceId: LOOKALIKE } }))).status).toBe(400);
    const second = await admin('POST', '/exports', body());
    expect((await admin('GET', `/exports/${first.body.id}`)).body.audiences[0].alsoFedBy).toEqual([second.body.id]);

    const unsaid = await admin('PUT', `/connections/${fb.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'next' } });
    expect(unsaid.status).toBe(409);
    expect(unsaid.body.error.message).toContain(first.body.id);
    expect((await admin('PUT', `/connections/${fb.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'next' }, moveExports: ['nope'] })).status).toBe(400);
    const moved = await admin('PUT', `/connections/${fb.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'next' }, moveExports: [second.body.id] });
    expect(moved.status).toBe(200);
    expect(moved.body.exportsMoved).toEqual([{ exportId: second.body.id, runId: expect.any(String) }]);
    expect(moved.body.exportsStaying).toEqual([first.body.id]);
    const next = moved.body.facebook.audienceId;
    expect((await admin('GET', `/exports/${second.body.id}`)).body).toMatchObject({ version: 2, audiences: [{ audienceId: next }] });
    expect((await admin('GET', `/exports/${first.body.id}`)).body.audiences[0].audienceId).toBe(CUSTOM);
    expect((await admin('GET', `/exports/${own.body.id}`)).body.audiences[0].name).toBe('own list');
    await eventually(() => configs.get(second.body.id)?.destination.audienceId === next, 10000, 'the moved export\'s configuration');
    expect(configs.get(first.body.id).destination.audienceId).toBe(CUSTOM);
    expect((await admin('GET', `/exports/${second.body.id}/runs`)).body.items[0]).toMatchObject({ id: moved.body.exportsMoved[0].runId, trigger: 'on-demand' });
  });

  it('names the audience of exports saved before exports had their own: the one their connection had', async () => {
    const fb = await facebookConnection();
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const id = uniqueName('legacy');
    await db.collection('exports').insertOne({ _id: id as never, displayName: 'old', connectionId: fb.id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } }, microsoft: null, version: 3, createdBy: 'alice', createdAt: new Date(), updatedAt: new Date() });
    await registry.app.get(ExportsService).onModuleInit();
    await db.close();
    expect((await admin('GET', `/exports/${id}`)).body.audiences[0]).toMatchObject({ adAccountId: '1001', audienceId: CUSTOM });
  });

  it('shows runs recorded before stages had documents of their own, and folds a late report into them', async () => {
    const ms = await microsoftConnection();
    const exportId = (await admin('POST', '/exports', { displayName: 'old runs', connectionId: ms.id, segments: [{ id: 's', name: 'S' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } })).body.id as string;
    const db = await mongoose.createConnection(registry.mongoUri).asPromise();
    const runId = uniqueName('legacy-run');
    const counts = { sent: 5, removed: 0, invalid: 1, failed: 0 };
    const at = new Date('2026-11-01T00:00:00Z');
    await db.collection('runs').insertOne({ _id: runId as never, exportId, trigger: 'refresh', stages: { 'segment-streamer': { state: 'succeeded', counts, at } }, createdAt: at, updatedAt: at });
    await db.close();
    const shown = async () => (await admin('GET', `/exports/${exportId}/runs`)).body.items.find((r: { id: string }) => r.id === runId);
    expect(await shown()).toMatchObject({ state: 'running', stages: { 'segment-streamer': { state: 'succeeded' } } });
    const report = { runId, exportId, stage: 'sink-microsoft-ads' as const, state: 'succeeded' as const, counts, at: new Date().toISOString() };
    await registry.app.get(RunStatusConsumer).apply([{ value: report }] as never);
    expect(await shown()).toMatchObject({ state: 'succeeded', counts: { sent: 5, invalid: 2 } });
  });

  describe('the internal API: each sink with its own credential, on its own destination only', () => {
    const internal = (token: string, path: string, body: unknown) =>
      fetch(`${registry.url}/internal${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('hands a sink exactly the access token and its expiry, never cached (Facebook: the long-lived token; Microsoft: a one-hour token, not the refresh token)', async () => {
      const fb = await facebookConnection();
      const fbAnswer = await internal(keys.sinkFacebook, `/connections/${fb.id}/access-token`, {});
      expect(fbAnswer.headers.get('cache-control')).toBe('no-store');
      const fbBody = (await fbAnswer.json()) as Record<string, string>;
      expect(Object.keys(fbBody).sort()).toEqual(['accessToken', 'expiresAt']);
      expect(Date.parse(fbBody.expiresAt) - Date.now()).toBeGreaterThan(50 * 24 * 3600 * 1000);
      const ms = await microsoftConnection();
      const msAnswer = await internal(keys.sinkMicrosoft, `/connections/${ms.id}/access-token`, { forceRefresh: true });
      expect(msAnswer.headers.get('cache-control')).toBe('no-store');
      const msText = await msAnswer.text();
      expect(Object.keys(JSON.parse(msText)).sort()).toEqual(['accessToken', 'expiresAt']);
      expect(Date.parse(JSON.parse(msText).expiresAt) - Date.now()).toBeLessThanOrEqual(3600 * 1000);
      expect(msText).not.toMatch(/refresh|M\.R3_/);
    });

    it("refuses a sink another destination's connections and exports (403, saying whose), and admins' keys (401)", async () => {
      const fb = await facebookConnection();
      const ms = await microsoftConnection();
      const fbExport = await admin('POST', '/exports', { displayName: 'x', connectionId: fb.id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } } });
      const refusals = [
        await internal(keys.sinkMicrosoft, `/connections/${fb.id}/access-token`, {}),
        await internal(keys.sinkMicrosoft, `/connections/${fb.id}/auth-failure`, { problem: 'x' }),
        await internal(keys.sinkFacebook, `/connections/${ms.id}/access-token`, {}),
        await internal(keys.sinkMicrosoft, `/exports/${fbExport.body.id}/problem`, { problem: 'x' }),
        await internal(keys.sinkMicrosoft, `/exports/${fbExport.body.id}/runs`, { requestedBy: 'sink-microsoft-ads' }),
      ];
      expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
      expect(((await refusals[0].json()) as any).error.message).toBe(
        `connection ${fb.id} belongs to Facebook; sink-microsoft-ads may act only on Microsoft Advertising connections and exports`,
      );
      expect((await internal(keys.admin, `/connections/${fb.id}/access-token`, {})).status).toBe(401);
      expect((await internal(keys.sinkFacebook, '/connections/no-such-connection/access-token', {})).status).toBe(404);
      expect((await internal(keys.sinkFacebook, '/exports/no-such-export/runs', { requestedBy: 'sink-facebook' })).status).toBe(404);
      // Nothing was flagged by the refused report.
      expect((await admin('GET', `/connections/${fb.id}`)).body.status).toBe('ready');
    });
  });

  it('shows a problem a sink reported on an export, refuses its runs, and clears it when the export is changed', async () => {
    const fb = await facebookConnection();
    const created = await admin('POST', '/exports', { displayName: 'x', connectionId: fb.id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } } });
    const report = (token: string | undefined) =>
      fetch(`${registry.url}/internal/exports/${created.body.id}/problem`, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify({ problem: 'the audience no longer exists; choose another' }) });
    expect((await report(undefined)).status).toBe(401);
    expect((await report(keys.admin)).status).toBe(401);
    expect((await report(keys.sinkFacebook)).status).toBe(204);
    expect((await admin('GET', `/exports/${created.body.id}`)).body).toMatchObject({ state: 'needs-attention', problem: 'the audience no longer exists; choose another' });
    await eventually(() => configs.get(created.body.id)?.problem === 'the audience no longer exists; choose another', 10000, 'the problem on the configuration');
    const run = await admin('POST', `/exports/${created.body.id}/runs`);
    expect(run.status).toBe(409);
    expect(run.body.error.message).toMatch(/the audience no longer exists/);
    const changed = await admin('PATCH', `/exports/${created.body.id}`, { facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' }, audience: { adAccountId: 'act_1001', create: { name: 'replacement' } } } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ state: 'active', audiences: [{ name: 'replacement' }] });
    expect(changed.body.problem).toBeUndefined();
    // The new audience holds nothing yet: the change started a full sync.
    expect((await admin('GET', `/exports/${created.body.id}/runs`)).body.items[0]).toMatchObject({ id: changed.body.startedRun, trigger: 'on-demand', requestedBy: 'alice' });
    expect((await admin('PATCH', `/exports/${created.body.id}`, { displayName: 'renamed' })).body.startedRun).toBeUndefined();
    const refill = await fetch(`${registry.url}/internal/exports/${created.body.id}/runs`, { method: 'POST', headers: { authorization: `Bearer ${keys.sinkFacebook}`, 'content-type': 'application/json' }, body: JSON.stringify({ requestedBy: 'sink-facebook' }) });
    expect(refill.status).toBe(202);
    const { runId } = (await refill.json()) as { runId: string };
    expect((await admin('GET', `/exports/${created.body.id}/runs`)).body.items[0]).toMatchObject({ id: runId, requestedBy: 'sink-facebook' });
    await eventually(() => configs.get(created.body.id)?.version >= 2 && configs.get(created.body.id).problem === undefined, 10000, 'the configuration without the problem');
  });

  it('starts a full sync when a change can bring in members nothing sent yet: other segments or identifiers, a new audience or account', async () => {
    const fb = await facebookConnection();
    const ms = await microsoftConnection();
    const facebook = (mappings: Record<string, string>) => ({ keyIdentifier: 'email', mappings });
    const fbExport = (await admin('POST', '/exports', { displayName: 'f', connectionId: fb.id, segments: [{ id: 'a', name: 'A' }], facebook: facebook({ EMAIL: 'E' }) })).body.id as string;
    const msExport = (await admin('POST', '/exports', { displayName: 'm', connectionId: ms.id, segments: [{ id: 'a', name: 'A' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'E' } })).body.id as string;
    const started = async (id: string, change: object) => {
      const changed = await admin('PATCH', `/exports/${id}`, change);
      expect(changed.status).toBe(200);
      return changed.body.startedRun as string | undefined;
    };
    // Saving does not run an export, and neither does changing one that never ran.
    expect(await started(fbExport, { segments: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }] })).toBeUndefined();
    expect((await admin('POST', `/exports/${fbExport}/runs`)).status).toBe(202);
    expect((await admin('POST', `/exports/${msExport}/runs`)).status).toBe(202);

    expect(await started(fbExport, { segments: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }, { id: 'c', name: 'C' }] })).toEqual(expect.any(String));
    expect(await started(fbExport, { facebook: facebook({ EMAIL: 'WorkEmail' }) })).toEqual(expect.any(String));
    expect(await started(fbExport, { facebook: facebook({ EMAIL: 'WorkEmail', PHONE: 'Mobile' }) })).toEqual(expect.any(String));
    expect(await started(msExport, { microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'WorkEmail' } })).toEqual(expect.any(String));
    expect(await started(msExport, { microsoft: { customerId: '1000001', accountId: '2000002', emailAttribute: 'WorkEmail' } })).toEqual(expect.any(String));
    // What cannot bring anyone in starts nothing: a name, segment names, the same identifiers again.
    expect(await started(fbExport, { displayName: 'renamed' })).toBeUndefined();
    expect(await started(fbExport, { segments: [{ id: 'a', name: 'A!' }, { id: 'b', name: 'B' }, { id: 'c', name: 'C' }] })).toBeUndefined();
    expect(await started(fbExport, { facebook: facebook({ PHONE: 'Mobile', EMAIL: 'WorkEmail' }) })).toBeUndefined();
    expect(await started(msExport, { microsoft: { customerId: '1000001', accountId: '2000002', emailAttribute: 'WorkEmail' } })).toBeUndefined();
  });

  it('paginates lists and serves the OpenAPI description', async () => {
    const first = await admin('GET', '/connections?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await admin('GET', `/connections?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect((await admin('GET', '/connections?limit=500')).status).toBe(400);
    const openapi = await anonymous('GET', '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/connections', '/exports/{id}/runs', '/oauth/callback']));
    expect(Object.keys(openapi.body.paths).some((p) => p.startsWith('/internal'))).toBe(false);
    for (const path of ['/exports', '/exports/{id}']) expect(openapi.body.paths[path].get.description).toMatch(/`pipeline`.*`active` once the identifier hasher, the segment streamer and the export's sink have all applied `savedVersion`.*next refresh/s);
  });
});
