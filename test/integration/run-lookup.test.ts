import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, Registry, startRegistry } from '../support/registry-harness';

/** GET /exports/{id}/runs/{runId}, and the run history filtered by trigger. */
describe('one run, and runs by trigger', () => {
  let emulators: Emulators;
  let registry: Registry;

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
  });

  afterAll(async () => {
    await registry?.close();
    await emulators?.close();
  });

  it('answers a run of the export by its id, 404 for another id, and lists only the runs of the trigger asked for', async () => {
    const admin = registry.as('admin');
    const connection = await admin('POST', '/connections', { displayName: 'Runs', destination: 'facebook-ads', consent: { agreed: true } });
    const id = connection.body.id as string;
    expect((await completeOAuth(registry, id)).status).toBe(200);
    expect((await admin('PUT', `/connections/${id}/facebook/audience`, { adAccountId: 'act_1001', audienceId: '23850000000000001' })).status).toBe(200);
    const exported = await admin('POST', '/exports', { displayName: 'x', connectionId: id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } } });
    expect(exported.status).toBe(201);
    const exportId = exported.body.id as string;
    const sync = await admin('POST', `/exports/${exportId}/runs`);
    const dry = await admin('POST', `/exports/${exportId}/runs`, { dryRun: true });
    expect([sync.status, dry.status]).toEqual([202, 202]);

    const one = await admin('GET', `/exports/${exportId}/runs/${dry.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: dry.body.id, exportId, trigger: 'dry-run' });
    expect((await admin('GET', `/exports/${exportId}/runs/no-such-run`)).status).toBe(404);
    expect((await registry.as('none')('GET', `/exports/${exportId}/runs/${dry.body.id}`)).status).toBe(401);

    const dryOnly = await admin('GET', `/exports/${exportId}/runs?trigger=dry-run`);
    expect(dryOnly.body.items.map((r: { id: string }) => r.id)).toEqual([dry.body.id]);
    const all = await admin('GET', `/exports/${exportId}/runs`);
    expect(all.body.items.map((r: { id: string }) => r.id).sort()).toEqual([sync.body.id, dry.body.id].sort());
    expect((await admin('GET', `/exports/${exportId}/runs?trigger=sometimes`)).status).toBe(400);
  });
});
