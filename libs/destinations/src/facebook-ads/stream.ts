import { FacebookChangeBatch, FacebookKey, Topics } from '@audience-sync/contracts';
import { facebookRules, facebookSchema, platformValue } from '@audience-sync/identifiers';
import { layout, StreamParts } from '../stream-parts';

/** A Facebook export feeds one customer-list audience with the union of its segments, in Meta's multi-key schema. */
export const facebookStream: StreamParts<'facebook-ads'> = {
  // Each Facebook key is normalised by the rule of the same name; PHONE's also names the countries
  // a number without a country code takes (the profile's COUNTRY attribute, else defaultCountry).
  identifierRules: (settings) => facebookRules(settings.mappings, settings.defaultCountry),
  audiences: (config) => [{ audienceKey: config.destination.audienceId, segmentIds: config.segments.map((s) => s.id) }],
  destinationAudience: (settings) => `fb:${settings.audienceId}`,
  audienceFingerprint: (settings) => `fb:${settings.audienceId}`,
  refDetails: (settings) => ({ facebookKeys: Object.keys(settings.mappings) as FacebookKey[] }),
  // Graph refuses /usersreplace without data (code 100) and documents no other way to empty an audience.
  emptyReplace: false,
  changesTopic: Topics.facebookChanges,
  message(batch): FacebookChangeBatch {
    const schema = facebookSchema(batch.audience.facebookKeys ?? ['EMAIL']);
    const hex = (r: Record<string, string>) => layout(schema, r).map((v, i) => platformValue(schema[i], v));
    return { ...envelope(batch), schema, adds: batch.adds.map(hex), removes: batch.removes.map(hex), counts: batch.counts };
  },
};

function envelope(batch: Parameters<typeof facebookStream.message>[0]) {
  return { batchId: batch.batchId, audience: batch.audience, mode: batch.mode, ...(batch.run ? { run: batch.run } : {}) };
}
