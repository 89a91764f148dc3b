import { createHash } from 'node:crypto';
import { ExportConfig, FacebookChangeBatch } from '@audience-sync/contracts';
import { AudienceUnavailable, RegistryClient } from '@audience-sync/delivery';
import { BatchContext } from '@audience-sync/kafka';
import { Emulators, startEmulators } from '../../../test/emulators/main';
import { memberKey } from '../../../test/emulators/members';
import { configSchema } from './config';
import { FacebookDelivery } from './facebook-delivery';
import { GraphClient } from './graph-client';

const SEEDED_LIST = '23850000000000001';
const digest = (i: number) => createHash('sha256').update(`user${i}@example.com`).digest('hex');

describe('FacebookDelivery', () => {
  let emulators: Emulators;
  let delivery: FacebookDelivery;
  let audienceId: string;
  const ctx: BatchContext = { topic: 'facebook-audience-changes.v1', partition: 0, heartbeat: async () => undefined, signal: new AbortController().signal };

  const config = (audience: string, version = 1): ExportConfig => ({
    exportId: 'export-1',
    version,
    displayName: 'fb',
    connectionId: 'c-1',
    connectionState: 'active',
    segments: [{ id: 's', name: 's' }],
    maxProfiles: 10_000_000,
    updatedAt: '2026-11-01T00:00:00Z',
    destination: { type: 'facebook-ads', adAccountId: '1001', audienceId: audience, keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } },
  });
  const batch = (audienceKey: string, ids: number[], mode: FacebookChangeBatch['mode'] = { kind: 'delta' }): FacebookChangeBatch => ({
    batchId: 'b-1',
    audience: { exportId: 'export-1', exportVersion: 1, connectionId: 'c-1', destination: 'facebook-ads', audienceKey },
    mode,
    schema: ['EMAIL'],
    adds: ids.map((i) => [digest(i)]),
    removes: [],
    counts: { droppedValues: {}, rejectedRows: 0 },
  });
  const members = (id: string) => emulators.facebook.state.audiences.get(id)?.members.page(0, 1000) ?? [];

  beforeAll(async () => {
    emulators = await startEmulators();
    const token = emulators.facebook.state.issueToken(true, 3600);
    const registry = { accessToken: async () => token, forget: () => undefined, reportAuthFailure: async () => undefined } as unknown as RegistryClient;
    const sinkConfig = configSchema.parse({ KAFKA_BROKERS: '127.0.0.1:9092', INTERNAL_API_TOKEN: 'x'.repeat(24), FACEBOOK_GRAPH_BASE_URL: `${emulators.facebook.url}/v24.0`, SINK_BACKOFF_BASE_MS: '1', SINK_BACKOFF_MAX_MS: '5' });
    delivery = new FacebookDelivery(new GraphClient(sinkConfig, registry));
  });
  afterAll(() => emulators.close());
  beforeEach(() => {
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'export list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
  });

  it("sends to the audience the export's configuration names, never to one the message names", async () => {
    const before = members(SEEDED_LIST);
    await delivery.deliver(batch(SEEDED_LIST, [1, 2]), config(audienceId), ctx);
    expect(members(audienceId).sort()).toEqual([memberKey([digest(1)]), memberKey([digest(2)])].sort());
    expect(members(SEEDED_LIST)).toEqual(before);
  });

  it('knows whether the configuration still names the audience a batch was made for', () => {
    expect(delivery.names(batch(audienceId, [1]), config(audienceId))).toBe(true);
    expect(delivery.names(batch(SEEDED_LIST, [1]), config(audienceId))).toBe(false);
  });

  it('a deleted audience is unavailable, not a permanent failure: the run says what to do, the problem names no identifiers', async () => {
    await delivery.deliver(batch(audienceId, [1]), config(audienceId), ctx); // verified and used once
    emulators.facebook.state.audiences.delete(audienceId);
    const failure = await delivery.deliver(batch(audienceId, [2]), config(audienceId), ctx).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AudienceUnavailable);
    const { message, problem } = failure as AudienceUnavailable;
    expect(message).toContain(`custom audience ${audienceId}`);
    expect(message).toMatch(/deleted.*choose another.*create one for the export.*PATCH \/exports\/\{id\}/is);
    expect(problem.length).toBeLessThanOrEqual(500);
    expect(problem).not.toMatch(/\d{5,}/);
    expect(problem).toMatch(/choose another.*create one for the export/is);
  });

  it('an audience unknown before its first upload, and one deleted during a full sync, are unavailable too', async () => {
    const unknown = await delivery.deliver(batch('99999', [1]), config('99999'), ctx).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AudienceUnavailable);
    await delivery.deliver(batch(audienceId, [1], { kind: 'full-sync', runId: 'r-1', seq: 1, last: false }), config(audienceId), ctx);
    emulators.facebook.state.audiences.delete(audienceId);
    const midSync = await delivery.deliver(batch(audienceId, [2], { kind: 'full-sync', runId: 'r-1', seq: 2, last: true }), config(audienceId), ctx).catch((e: unknown) => e);
    expect(midSync).toBeInstanceOf(AudienceUnavailable);
  });
});
