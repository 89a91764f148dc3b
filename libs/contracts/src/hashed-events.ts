import { z } from 'zod';
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
export const hashedValueSchema = z.union([z.string(), z.record(z.string(), z.string())]).nullable();
export const hashedAttributesSchema = z.record(z.string(), hashedValueSchema);
export type HashedValue = z.infer<typeof hashedValueSchema>;
export type HashedAttributes = z.infer<typeof hashedAttributesSchema>;

/** A refresh part is cut into this many slices, so hashed members (longer than plain ones) fit a message. */
export const REFRESH_SLICES = 5;

export const hashedMembershipEventSchema = membershipEventSchema.extend({ attributes: hashedAttributesSchema.nullish() });
export const hashedRefreshMemberSchema = z.object({ profileId: z.string().min(1).max(200), attributes: hashedAttributesSchema.nullish() });
/**
 * Upstream part `p` becomes parts `(p-1)*REFRESH_SLICES+1 … p*REFRESH_SLICES` (some empty), and
 * only the last slice of the final part is final, so a refresh still completes when parts
 * 1…last are all there.
 */
export const hashedRefreshEventSchema = refreshEventSchema.extend({ members: z.array(hashedRefreshMemberSchema).max(10_000) });
export const hashedProfileEventSchema = profileEventSchema.extend({ attributes: hashedAttributesSchema });

/** hasher -> streamer: segment events whose identifiers are digests; no plain personal data. */
export const hashedSegmentEventSchema = z.discriminatedUnion('type', [hashedMembershipEventSchema, hashedRefreshEventSchema, hashedProfileEventSchema, eraseEventSchema]);
export type HashedSegmentEvent = z.infer<typeof hashedSegmentEventSchema>;
export type HashedMembershipEvent = z.infer<typeof hashedMembershipEventSchema>;
export type HashedRefreshEvent = z.infer<typeof hashedRefreshEventSchema>;
export type HashedRefreshMember = z.infer<typeof hashedRefreshMemberSchema>;
export type HashedProfileEvent = z.infer<typeof hashedProfileEventSchema>;
