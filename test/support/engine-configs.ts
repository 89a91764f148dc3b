import { ExportConfig } from '@audience-sync/contracts';

/** An active Facebook export config for engine specs: email from the `Email` attribute; `over` sets the rest. */
export const facebookConfig = (exportId: string, segmentIds: string[], over: Partial<ExportConfig> & { audienceId?: string } = {}): ExportConfig => {
  const { audienceId = 'aud', ...rest } = over;
  return {
    exportId,
    version: 1,
    displayName: exportId,
    connectionId: 'c1',
    connectionState: 'active',
    segments: segmentIds.map((id) => ({ id, name: id })),
    maxProfiles: 1000,
    updatedAt: '2026-11-01T00:00:00Z',
    destination: { type: 'facebook-ads', adAccountId: '1', audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'Email' } },
    ...rest,
  };
};
