import { Model } from 'mongoose';
import { ExportConfig, exportConfigSchema } from '@audience-sync/contracts';
import { ContractProducer } from '@audience-sync/kafka';
import { DestinationId } from '@audience-sync/destinations';
import { ConnectionDoc, ExportDoc } from '../models';
import { ExportConfigPublisher } from './export-config.publisher';

/**
 * The size limits the pipeline enforces come from what the registry publishes. The figures are the
 * product's documented known limitations: "You can export up to 500 K profiles per export to
 * Microsoft Advertising" and "Up to 10 million customer profiles per export to Facebook Ads
 * Manager" (the Customer Insights export-destination pages kept in /work/shared/seeds/).
 */
const DOCUMENTED: Record<DestinationId, number> = { 'microsoft-advertising': 500_000, 'facebook-ads': 10_000_000 };

const at = new Date('2026-11-01T00:00:00Z');

const connection = (destination: DestinationId): ConnectionDoc => ({
  _id: 'c1',
  displayName: 'c1',
  destination,
  usableBy: 'administrators',
  consent: { agreedBy: 'admin', agreedAt: at },
  createdBy: 'admin',
  createdAt: at,
  updatedAt: at,
});

const exportOf = (destination: DestinationId): ExportDoc => ({
  _id: 'e1',
  displayName: 'e1',
  connectionId: 'c1',
  segments: [{ id: 's1', name: 's1' }],
  ...(destination === 'facebook-ads'
    ? { facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'Email' }, audience: { adAccountId: '1', audienceId: '2', audienceName: 'a' } } }
    : { microsoft: { customerId: '1', accountId: '2', emailAttribute: 'Email' } }),
  version: 1,
  createdBy: 'admin',
  createdAt: at,
  updatedAt: at,
});

describe('the export configuration the registry publishes', () => {
  it.each(Object.entries(DOCUMENTED) as [DestinationId, number][])('gives a %s export its documented limit of %d profiles', async (destination, limit) => {
    const sent: unknown[] = [];
    const producer = { send: async (_topic: string, messages: { value: unknown }[]) => void sent.push(...messages.map((m) => m.value)) } as unknown as ContractProducer;
    const publisher = new ExportConfigPublisher(producer, {} as Model<ExportDoc>, {} as Model<ConnectionDoc>);
    await publisher.publish(exportOf(destination), connection(destination));
    expect(sent).toHaveLength(1);
    const config: ExportConfig = exportConfigSchema.parse(sent[0]);
    expect(config.destination.type).toBe(destination);
    expect(config.maxProfiles).toBe(limit);
  });
});
