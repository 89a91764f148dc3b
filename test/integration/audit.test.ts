import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, Registry, startRegistry } from '../support/registry-harness';

/** The audit log: who (the API key's name and role) changed which connection or export, read back through GET /audit. */
describe('audit log', () => {
  let emulators: Emulators;
  let registry: Registry;
  let admin: ReturnType<Registry['as']>;

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    admin = registry.as('admin');
  });

  afterAll(async () => {
    await registry?.close();
    await emulators?.close();
  });

  const entriesOf = async (objectType: string, objectId: string) => {
    const answer = await admin('GET', `/audit?objectType=${objectType}&objectId=${objectId}`);
    expect(answer.status).toBe(200);
    return answer.body.items as { actor: { name: string; role: string }; action: string; changedFields?: string[]; runId?: string; at: string }[];
  };

  it('records creates, sign-ins, changes by field name, runs and deletes with the key that made them, newest first', async () => {
    const connection = await admin('POST', '/connections', { displayName: 'Audited', destination: 'facebook-ads', consent: { agreed: true } });
    expect(connection.status).toBe(201);
    const id = connection.body.id as string;
    expect((await admin('PATCH', `/connections/${id}`, { displayName: 'Audited, renamed' })).status).toBe(200);
    expect((await completeOAuth(registry, id)).status).toBe(200);
    expect((await admin('PUT', `/connections/${id}/facebook/audience`, { adAccountId: 'act_1001', audienceId: '23850000000000001' })).status).toBe(200);

    const exported = await admin('POST', '/exports', { displayName: 'x', connectionId: id, segments: [{ id: 's', name: 'S' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'E' } } });
    expect(exported.status).toBe(201);
    expect((await admin('PATCH', `/exports/${exported.body.id}`, { displayName: 'y', segments: [{ id: 's', name: 'S renamed' }] })).status).toBe(200);
    const run = await admin('POST', `/exports/${exported.body.id}/runs`);
    expect(run.status).toBe(202);
    expect((await admin('DELETE', `/exports/${exported.body.id}`)).status).toBe(204);

    const alice = { name: 'alice', role: 'administrator' };
    expect(await entriesOf('connection', id)).toEqual([
      expect.objectContaining({ actor: alice, action: 'update', changedFields: ['facebook'] }),
      expect.objectContaining({ actor: alice, action: 'sign-in-completed' }),
      expect.objectContaining({ actor: alice, action: 'authorize' }),
      expect.objectContaining({ actor: alice, action: 'update', changedFields: ['displayName'] }),
      expect.objectContaining({ actor: alice, action: 'create' }),
    ]);
    const onExport = await entriesOf('export', exported.body.id);
    expect(onExport.map((e) => e.action)).toEqual(['delete', 'run-requested', 'update', 'create']);
    expect(onExport[1].runId).toBe(run.body.id);
    expect(onExport[2].changedFields).toEqual(['displayName', 'segments']);
    expect(new Date(onExport[0].at).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const paged = await admin('GET', `/audit?objectId=${id}&limit=2`);
    expect(paged.body.items).toHaveLength(2);
    const rest = await admin('GET', `/audit?objectId=${id}&limit=100&cursor=${paged.body.nextCursor}`);
    expect(rest.body.items.map((e: { action: string }) => e.action)).toEqual(['authorize', 'update', 'create']);
  });

  it('records an erasure by its id, not the profile id', async () => {
    const erased = await admin('POST', '/profiles/profile-audit-1/erase');
    expect(erased.status).toBe(202);
    const [entry] = await entriesOf('erasure', erased.body.erasureId);
    expect(entry).toMatchObject({ action: 'erase-requested', actor: { name: 'alice' } });
    expect(JSON.stringify((await admin('GET', '/audit?limit=100')).body)).not.toContain('profile-audit-1');
  });

  it('is for administrators only, and checks its query', async () => {
    expect((await registry.as('contributor')('GET', '/audit')).status).toBe(403);
    expect((await registry.as('none')('GET', '/audit')).status).toBe(401);
    expect((await admin('GET', '/audit?objectType=profile')).status).toBe(400);
    expect((await admin('GET', '/audit?limit=1000')).status).toBe(400);
  });
});
