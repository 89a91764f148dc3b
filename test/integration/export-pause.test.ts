import { Emulators, startEmulators } from '../../tools/emulators/main';
import { completeOAuth, keys, Registry, request, startRegistry } from '../support/registry-harness';
import { ExportConfigReader } from '../support/export-config-reader';
import { eventually, uniqueName } from '../support/env';

/**
 * Pausing an export over the API (PATCH /exports/{id} `paused`): the pipeline is told, runs are
 * refused while paused (a dry run is not), resuming starts a full sync, and a contributor may do it
 * on exports of connections shared with contributors, as any other change.
 */
describe('pausing an export', () => {
  let emulators: Emulators;
  let registry: Registry;
  let admin: Registry['as'] extends (r: any) => infer F ? F : never;
  let contributor: typeof admin;
  const configReader = new ExportConfigReader();
  const configs = configReader.configs;

  async function microsoftExport(usableBy: string) {
    const connection = await admin('POST', '/connections', { displayName: 'MS', destination: 'microsoft-advertising', usableBy, consent: { agreed: true } });
    await completeOAuth(registry, connection.body.id);
    const created = await admin('POST', '/exports', {
      displayName: uniqueName('paused'),
      connectionId: connection.body.id,
      segments: [{ id: 's1', name: 'Loyal customers' }],
      microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' },
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    admin = registry.as('admin');
    contributor = registry.as('contributor');
    await configReader.start();
  });

  afterAll(async () => {
    await configReader.stop();
    await registry.close();
    await emulators.close();
  });

  it('pauses: the view and the pipeline say so, and a run is refused saying how to resume; a dry run is not', async () => {
    const made = await microsoftExport('administrators');
    expect(made.paused).toBe(false);
    const paused = await request(`${registry.url}/exports/${made.id}`, 'PATCH', { key: keys.admin, headers: { 'if-match': `"${made.version}"` }, body: { paused: true } });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, pausedBy: 'alice', pausedAt: expect.any(String), version: made.version + 1, displayName: made.displayName });
    expect(paused.body.startedRun).toBeUndefined();
    expect(paused.headers.get('etag')).toBe(`"${made.version + 1}"`);
    await eventually(() => configs.get(made.id)?.paused === true && configs.get(made.id)?.version === made.version + 1, 10000, 'the paused configuration');

    const run = await admin('POST', `/exports/${made.id}/runs`);
    expect(run.status).toBe(409);
    expect(run.body.error.message).toMatch(/is paused/);
    expect(run.body.error.message).toContain(`PATCH /exports/${made.id} with {"paused": false}`);
    expect((await admin('POST', `/exports/${made.id}/runs`, { dryRun: true })).status).toBe(202);

    // Pausing again changes nothing about who paused it and when.
    const again = await admin('PATCH', `/exports/${made.id}`, { paused: true });
    expect(again.body).toMatchObject({ paused: true, pausedAt: paused.body.pausedAt });
    expect(again.body.startedRun).toBeUndefined();
  });

  it('resumes with a full sync at once, and records both in the audit log', async () => {
    const made = await microsoftExport('administrators');
    await admin('PATCH', `/exports/${made.id}`, { paused: true });
    const resumed = await admin('PATCH', `/exports/${made.id}`, { paused: false });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, startedRun: expect.any(String) });
    expect(resumed.body.pausedBy).toBeUndefined();
    expect((await admin('GET', `/exports/${made.id}/runs`)).body.items[0]).toMatchObject({ id: resumed.body.startedRun, trigger: 'on-demand', requestedBy: 'alice' });
    await eventually(() => configs.get(made.id)?.version === resumed.body.version && !configs.get(made.id)?.paused, 10000, 'the resumed configuration');
    // Resuming an export that is not paused starts nothing.
    expect((await admin('PATCH', `/exports/${made.id}`, { paused: false })).body.startedRun).toBeUndefined();

    const audit = await admin('GET', `/audit?objectId=${made.id}`);
    const updates = audit.body.items.filter((e: any) => e.action === 'update');
    expect(updates.map((e: any) => e.changedFields)).toEqual([[], ['paused'], ['paused']]);
    expect(updates[1]).toMatchObject({ runId: resumed.body.startedRun });
  });

  it('lets a contributor pause and resume exports on connections shared with contributors only', async () => {
    const shared = await microsoftExport('administrators-and-contributors');
    const adminsOnly = await microsoftExport('administrators');
    expect((await contributor('PATCH', `/exports/${adminsOnly.id}`, { paused: true })).status).toBe(404);
    const paused = await contributor('PATCH', `/exports/${shared.id}`, { paused: true });
    expect(paused.body).toMatchObject({ paused: true, pausedBy: 'carol' });
    expect((await contributor('POST', `/exports/${shared.id}/runs`)).status).toBe(409);
    expect((await contributor('PATCH', `/exports/${shared.id}`, { paused: false })).body.startedRun).toEqual(expect.any(String));
  });

  it('takes other changes while paused without a run, and deletes a paused export as any other', async () => {
    const made = await microsoftExport('administrators');
    await admin('PATCH', `/exports/${made.id}`, { paused: true });
    const renamed = await admin('PATCH', `/exports/${made.id}`, { displayName: 'renamed', segments: [{ id: 's2', name: 'Other' }] });
    expect(renamed.body).toMatchObject({ paused: true, displayName: 'renamed' });
    expect(renamed.body.startedRun).toBeUndefined();
    expect((await admin('PATCH', `/exports/${made.id}`, { paused: 'yes' })).status).toBe(400);
    expect((await admin('DELETE', `/exports/${made.id}`)).status).toBe(204);
    await eventually(() => configs.has(made.id) && configs.get(made.id) === null, 10000, 'the tombstone');
  });
});
