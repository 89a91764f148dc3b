import type { ChosenAudience, FieldProblem, RegistryParts } from '../../registry-parts';
import { FacebookRegistryConfig, facebookRegistryConfig } from './config';
import { FacebookRegistryClient } from './graph-client';
import { FacebookExportBody, facebookExportBody, FacebookExportSettings, REQUIRED_KEYS } from './settings';

export * from './settings';
export type { FacebookRegistryConfig } from './config';

/** Facebook Ads: a customer-list Custom Audience per export, chosen in an ad account. */
export const facebookRegistry = {
  id: 'facebook-ads',
  label: 'Facebook',
  settingsKey: 'facebook' as const,
  /** "Up to 10 million customer profiles per export to Facebook Ads Manager" (the product's known limitations). */
  maxProfiles: 10_000_000,
  sinkStage: 'sink-facebook',
  config: facebookRegistryConfig,
  client: (config) => new FacebookRegistryClient(config),
  nextAfterSignIn: (id) => `GET /connections/${id}/facebook/ad-accounts, then PUT /connections/${id}/facebook/audience`,
  awaitingSetup: (id, audience) => (audience?.audienceId ? undefined : `choose an ad account and a customer-list audience: PUT /connections/${id}/facebook/audience`),
  exportSettings: facebookExportBody,
  exportSettingsHint: '{ keyIdentifier, mappings, defaultCountry? }',
  checkExport(body, connection, current) {
    const problems: FieldProblem[] = REQUIRED_KEYS[body.keyIdentifier]
      .filter((key) => !body.mappings[key])
      .map((key) => ({ path: `mappings.${key}`, message: `key identifier "${body.keyIdentifier}" needs ${key} mapped to a profile attribute` }));
    if (!body.audience && !current?.audience && !connection.settings?.audienceId) {
      problems.push({ path: 'audience', message: `connection ${connection.id} has no audience yet; choose one with PUT /connections/${connection.id}/facebook/audience, or give this export its own with facebook.audience` });
    }
    return problems;
  },
  toDestination: (s) => ({ type: 'facebook-ads', adAccountId: s.audience.adAccountId, audienceId: s.audience.audienceId, keyIdentifier: s.keyIdentifier, mappings: s.mappings, ...(s.defaultCountry ? { defaultCountry: s.defaultCountry.toUpperCase() } : {}) }),
  /** One customer list, which also holds the members of the other exports feeding it. */
  audiences: (s, _segments, alsoFedBy) => [{ adAccountId: s.audience.adAccountId, audienceId: s.audience.audienceId, name: s.audience.audienceName, alsoFedBy }],
  audienceKey: (s) => s.audience.audienceId,
  identifiersKey: (s) => [s.keyIdentifier, Object.entries(s.mappings).sort(([a], [b]) => a.localeCompare(b)), s.defaultCountry?.toUpperCase() ?? null],
} satisfies RegistryParts<{ settings: FacebookExportSettings; body: FacebookExportBody; config: FacebookRegistryConfig; connectionSettings: ChosenAudience | null | undefined }>;
