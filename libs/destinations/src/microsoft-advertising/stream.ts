import { MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { platformValue } from '@audience-sync/identifiers';
import { StreamParts } from '../stream-parts';

/** A Microsoft export feeds one Customer Match list per segment, named after it, matched on the hashed email. */
export const microsoftStream: StreamParts<'microsoft-advertising'> = {
  identifierRules: (settings) => [['EMAIL', settings.emailAttribute]],
  audiences: (config) => config.segments.map((s) => ({ audienceKey: s.id, audienceName: s.name, segmentIds: [s.id] })),
  // Lists are found by name in the account: segments of one name in one account share a list.
  destinationAudience: (settings, audience) => `ms:${settings.customerId}:${settings.accountId}:${audience.audienceName ?? audience.audienceKey}`,
  audienceFingerprint: (settings) => `ms:${settings.customerId}:${settings.accountId}`,
  refDetails: (settings) => ({ acceptTerms: settings.acceptCustomerMatchTerms, customerId: settings.customerId, accountId: settings.accountId }),
  // ApplyCustomerListUserData takes at most 1,000 items and sets no minimum: a Replace of none empties the list.
  emptyReplace: true,
  changesTopic: Topics.microsoftChanges,
  message(batch): MicrosoftChangeBatch {
    return {
      batchId: batch.batchId,
      audience: batch.audience,
      mode: batch.mode,
      ...(batch.run ? { run: batch.run } : {}),
      adds: batch.adds.map((r) => platformValue('EMAIL', r.EMAIL)),
      removes: batch.removes.map((r) => platformValue('EMAIL', r.EMAIL)),
      counts: batch.counts,
    };
  },
};
