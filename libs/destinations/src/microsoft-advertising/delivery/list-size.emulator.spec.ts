import { createHash } from 'node:crypto';
import { loadConfig } from '@audience-sync/config';
import { ExportConfig, Topics } from '@audience-sync/contracts';
import { z } from 'zod';
import { RegistryClient, sinkConfig } from '@audience-sync/delivery';
import { RunningEmulator, startEmulator } from '../../../../../tools/emulators/emulator-server';
import { matches } from '../../../../../tools/emulators/matching';
import { microsoftEmulator } from '../../../../../tools/emulators/microsoft/emulator';
import { microsoftSeedSchema } from '../../../../../tools/emulators/microsoft/seed';
import { RegistryStandIn, startRegistryStandIn } from '../../../../../test/support/microsoft-registry-stand-in';
import { CampaignClient } from './campaign-client';
import { microsoftDeliveryEnv } from './config';
import { CustomerMatchDelivery } from './customer-match-delivery';
import { listSizeOf } from './list-size';

const digest = (i: number) => createHash('sha256').update(`member${i}@example.com`).digest('hex');
const exportConfig: ExportConfig = {
  exportId: 'export-1',
  version: 1,
  displayName: 'sized',
  connectionId: 'connection-1',
  connectionState: 'active',
  segments: [{ id: 'loyal', name: 'Loyal customers' }],
  maxProfiles: 500_000,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'microsoft-advertising', customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true },
};

/** The size of a Customer Match list as the sink reads it after a run, against the emulator. */
describe('Microsoft Advertising list size read back (emulator)', () => {
  let emulator: RunningEmulator & ReturnType<typeof microsoftEmulator>;
  let registry: RegistryStandIn;
  let delivery: CustomerMatchDelivery;
  const ctx = { topic: Topics.microsoftChanges.name, partition: 0, signal: new AbortController().signal, heartbeat: async () => undefined };

  async function fill(count: number) {
    const adds = Array.from({ length: count }, (_, i) => digest(i));
    for (let i = 0; i < count; i += 1000) {
      const part = adds.slice(i, i + 1000);
      await delivery.deliver({ batchId: `b-${i}`, audience: { exportId: 'export-1', exportVersion: 1, connectionId: 'connection-1', destination: 'microsoft-advertising', audienceKey: 'loyal', audienceName: 'Loyal customers', customerId: '1000001', accountId: '2000001' }, mode: { kind: 'delta' }, run: { runId: 'r', trigger: 'refresh', audiences: 1, last: false, fills: true }, adds: part, removes: [], counts: { droppedValues: {}, rejectedRows: 0 } }, exportConfig, ctx);
    }
    return adds.filter((d) => matches(d.slice(0, 16))).length;
  }
  const settle = () => [...emulator.audiences.values()].forEach((a) => (a.changedAt = 0));

  beforeEach(async () => {
    const definition = microsoftEmulator(microsoftSeedSchema.parse({ sizeDelayMs: 60_000 }));
    emulator = Object.assign(definition, await startEmulator(definition, 0));
    registry = await startRegistryStandIn(emulator.url);
    const config = loadConfig('sink-microsoft-ads', z.object({ ...sinkConfig, ...microsoftDeliveryEnv }), {
      MICROSOFT_ADS_BASE_URL: `${emulator.url}/CampaignManagement/v13`,
      MICROSOFT_DEVELOPER_TOKEN: 'BBD37VB98',
      REGISTRY_INTERNAL_URL: registry.url,
      INTERNAL_API_TOKEN: registry.internalToken,
    });
    const registryClient = new RegistryClient(config.REGISTRY_INTERNAL_URL, config.INTERNAL_API_TOKEN);
    delivery = new CustomerMatchDelivery(new CampaignClient(config, registryClient, async () => undefined), registryClient);
  });
  afterEach(async () => {
    await Promise.all([emulator.close(), registry.close()]);
  });

  it('is "processing" while SearchSize is null, then the matched members once computed', async () => {
    const matched = await fill(1500);
    expect(matched).toBeGreaterThan(1100);
    expect(matched).toBeLessThan(1350);
    expect(await delivery.audienceSize('loyal', exportConfig, ctx.signal)).toEqual({ status: 'processing', detail: expect.stringContaining('48 hours') });
    settle();
    expect(await delivery.audienceSize('loyal', exportConfig, ctx.signal)).toEqual({ sizeLowerBound: matched, sizeUpperBound: matched, status: 'ready', detail: `Microsoft Advertising: Search network ${matched}; Audience network ${matched}` });
  });

  it('is too small below the 300 people Microsoft needs before it serves a list', async () => {
    await fill(200);
    settle();
    expect((await delivery.audienceSize('loyal', exportConfig, ctx.signal)).status).toBe('too-small');
  });

  it('throws for a list that is not there (the read-back records the size as unavailable)', async () => {
    await expect(delivery.audienceSize('loyal', exportConfig, ctx.signal)).rejects.toThrow(/no Customer Match list for segment loyal/);
  });
});

describe('listSizeOf', () => {
  it('takes SearchSize as both bounds and gives no bounds while it is null', () => {
    expect(listSizeOf({ SearchSize: 1234, AudienceNetworkSize: null })).toEqual({ sizeLowerBound: 1234, sizeUpperBound: 1234, status: 'ready', detail: 'Microsoft Advertising: Search network 1234' });
    expect(listSizeOf({ SearchSize: null }).sizeLowerBound).toBeUndefined();
  });
});
