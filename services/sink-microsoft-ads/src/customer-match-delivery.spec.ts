import { ExportConfig, MicrosoftChangeBatch } from '@audience-sync/contracts';
import { CampaignClient } from './campaign-client';
import { CustomerMatchDelivery } from './customer-match-delivery';

describe('CustomerMatchDelivery.names: which batches the export config still owns', () => {
  const delivery = new CustomerMatchDelivery({} as CampaignClient);
  const config: ExportConfig = {
    exportId: 'e',
    version: 3,
    displayName: 'ms',
    connectionId: 'c',
    connectionState: 'active',
    segments: [{ id: 'loyal', name: 'Loyal' }],
    maxProfiles: 500_000,
    updatedAt: '2026-11-01T00:00:00Z',
    destination: { type: 'microsoft-advertising', customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true },
  };
  const batch = (exportVersion: number, audienceKey: string, accountId = '2000001'): MicrosoftChangeBatch => ({
    batchId: 'b',
    audience: { exportId: 'e', exportVersion, connectionId: 'c', destination: 'microsoft-advertising', audienceKey, audienceName: audienceKey, customerId: '1000001', accountId },
    mode: { kind: 'delta' },
    adds: [],
    removes: [],
    counts: { droppedValues: {}, rejectedRows: 0 },
  });

  it('owns a segment it names, in its account, whatever the version the batch was made under', () => {
    expect(delivery.names(batch(2, 'loyal'), config)).toBe(true);
    expect(delivery.names(batch(3, 'loyal'), config)).toBe(true);
  });

  it('does not own a batch made for another account: the export moved', () => {
    expect(delivery.names(batch(2, 'loyal', '2000002'), config)).toBe(false);
  });

  it('owns the current version clearing a segment that left, not an older batch for it', () => {
    expect(delivery.names(batch(3, 'churned'), config)).toBe(true);
    expect(delivery.names(batch(2, 'churned'), config)).toBe(false);
  });
});
