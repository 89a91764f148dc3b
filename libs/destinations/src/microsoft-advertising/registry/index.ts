import type { RegistryParts } from '../../registry-parts';
import { MicrosoftRegistryConfig, microsoftRegistryConfig } from './config';
import { MicrosoftRegistryClient } from './identity-client';
import { microsoftExportBody, MicrosoftExportSettings } from './settings';

export * from './settings';
export type { MicrosoftRegistryConfig } from './config';

/** Microsoft Advertising: one Customer Match list per segment of an export, named after the segment. */
export const microsoftRegistry = {
  id: 'microsoft-advertising',
  label: 'Microsoft Advertising',
  settingsKey: 'microsoft' as const,
  /** "You can export up to 500 K profiles per export to Microsoft Advertising" (the product's known limitations). */
  maxProfiles: 500_000,
  sinkStage: 'sink-microsoft-ads',
  config: microsoftRegistryConfig,
  client: (config) => new MicrosoftRegistryClient(config),
  nextAfterSignIn: () => 'create exports on this connection',
  exportSettings: microsoftExportBody,
  exportSettingsHint: '{ customerId, accountId, emailAttribute }',
  checkExport: () => [],
  // Customer Match terms: the connection's consent ("I agree") is the admin accepting them.
  toDestination: (s, connection) => ({ type: 'microsoft-advertising', customerId: s.customerId, accountId: s.accountId, emailAttribute: s.emailAttribute, acceptCustomerMatchTerms: Boolean(connection.consentAgreedAt) }),
  audiences: (s, segments) => segments.map((segment) => ({ customerId: s.customerId, accountId: s.accountId, name: segment.name, segmentId: segment.id })),
  audienceKey: (s) => `${s.customerId}/${s.accountId}`,
  identifiersKey: (s) => s.emailAttribute,
} satisfies RegistryParts<{ settings: MicrosoftExportSettings; body: MicrosoftExportSettings; config: MicrosoftRegistryConfig; connectionSettings: unknown }>;
