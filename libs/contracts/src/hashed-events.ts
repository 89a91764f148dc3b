import { z } from 'zod';
import { attributeRecord } from './attribute-record';
import { eraseEventSchema, membershipEventSchema, profileEventSchema, refreshEventSchema } from './segment-events';

/**
 * One attribute after the hasher. For each identifier rule some export applies to the attribute
 * (a Facebook key; Microsoft uses EMAIL), the rule's output: its SHA-256 digest in base64url, the
 * three digests of DOB joined by spaces, MADID/EXTERN_ID as they are, or `!` and the reason the value was dropped.
 * Mostly one rule applies, written as one string `RULE=output` (no nested object to parse and
 * store per attribute); several rules as `{ RULE: output }`. An attribute no export maps is
 * forwarded as `''`: the streamer then knows it is present, but not its value. `null`: the
 * attribute was cleared (or empty).
 */
export type HashedValue = string | Record<string, string> | null;
export const hashedAttributesSchema = attributeRecord<HashedValue>((value) => {
  if (value === null || typeof value === 'string') return undefined;
  const byRule = typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((digest) => typeof digest === 'string');
  return byRule ? undefined : 'expected a digest string, null, or digests by rule';
});
export type HashedAttributes = z.infer<typeof hashedAttributesSchema>;

/** A refresh part is cut into this many slices per partition, so hashed members (longer than plain ones) fit a message. */
export const REFRESH_SLICES = 5;

/**
 * Where a refresh slice sits among all of its refresh's: upstream part `part` (from 1) becomes
 * REFRESH_SLICES slices for each of the hashed topic's `partitions` partitions, holding the members
 * whose profiles live on that partition, numbered partition by partition. With one partition this
 * is the numbering from before partitions: part p gives slices 5p-4 … 5p.
 */
export function refreshSliceNumber(part: number, partition: number, slice: number, partitions: number): number {
  return ((part - 1) * partitions + partition) * REFRESH_SLICES + slice + 1;
}

/** The partition a slice was cut for, from its number (the inverse of refreshSliceNumber); 0 when it was not cut by partition. */
export function refreshSlicePartition(slice: { part: number; partitions?: number }): number {
  return slice.partitions === undefined ? 0 : Math.floor((slice.part - 1) / REFRESH_SLICES) % slice.partitions;
}

/**
 * How many slices the whole refresh has, from any one final slice: every partition's last slice
 * of the final part is final (so each partition can tell its own share complete). A slice
 * without `partitions` (made by a hasher before partitions, or written directly) is final as the
 * last of 1…n.
 */
export function refreshSliceTotal(final: { part: number; partitions?: number }): number {
  if (final.partitions === undefined) return final.part;
  const perPart = final.partitions * REFRESH_SLICES;
  return Math.ceil(final.part / perPart) * perPart;
}

export const hashedMembershipEventSchema = membershipEventSchema.extend({ attributes: hashedAttributesSchema.nullish() });
export const hashedRefreshMemberSchema = z.object({ profileId: z.string().min(1).max(200), attributes: hashedAttributesSchema.nullish() });
/**
 * A slice of an upstream refresh part, on the partition of its members' profiles: `part` numbers
 * it among all slices of the refresh (refreshSliceNumber), `partitions` is the count it was cut
 * for, and the refresh is complete when slices 1…refreshSliceTotal are all there.
 */
export const hashedRefreshEventSchema = refreshEventSchema.extend({ members: z.array(hashedRefreshMemberSchema).max(10_000), partitions: z.number().int().min(1).max(10_000).optional() });
export const hashedProfileEventSchema = profileEventSchema.extend({ attributes: hashedAttributesSchema });

/** hasher -> streamer: segment events whose identifiers are digests; no plain personal data. */
export const hashedSegmentEventSchema = z.discriminatedUnion('type', [hashedMembershipEventSchema, hashedRefreshEventSchema, hashedProfileEventSchema, eraseEventSchema]);
export type HashedSegmentEvent = z.infer<typeof hashedSegmentEventSchema>;
export type HashedMembershipEvent = z.infer<typeof hashedMembershipEventSchema>;
export type HashedRefreshEvent = z.infer<typeof hashedRefreshEventSchema>;
export type HashedRefreshMember = z.infer<typeof hashedRefreshMemberSchema>;
export type HashedProfileEvent = z.infer<typeof hashedProfileEventSchema>;
