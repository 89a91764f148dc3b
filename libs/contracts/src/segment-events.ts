import { z } from 'zod';
import { attributeRecord } from './attribute-record';

/** A profile's fields by their own names; values may be missing or null. */
export const profileAttributesSchema = attributeRecord<string | number | boolean | null>((value) =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ? undefined : 'expected a string, number, boolean or null',
);

const eventBase = {
  eventId: z.string().min(1).max(200),
  occurredAt: z.iso.datetime({ offset: true }),
};

const segmentRef = {
  segmentId: z.string().min(1).max(200),
  segmentName: z.string().min(1).max(128),
};

export const membershipEventSchema = z.object({
  type: z.literal('membership'),
  ...eventBase,
  ...segmentRef,
  profileId: z.string().min(1).max(200),
  status: z.enum(['entered', 'exited']),
  attributes: profileAttributesSchema.nullish(),
});

export const refreshMemberSchema = z.object({
  profileId: z.string().min(1).max(200),
  attributes: profileAttributesSchema.nullish(),
});

/** One part of a segment's complete membership list; parts are numbered from 1 and the last has `final: true`. */
export const refreshEventSchema = z.object({
  type: z.literal('refresh'),
  ...eventBase,
  ...segmentRef,
  refreshId: z.string().min(1).max(200),
  part: z.number().int().min(1),
  final: z.boolean(),
  members: z.array(refreshMemberSchema).max(50_000),
});

export const profileEventSchema = z.object({
  type: z.literal('profile'),
  ...eventBase,
  profileId: z.string().min(1).max(200),
  attributes: profileAttributesSchema,
});

/**
 * The profile must be forgotten (a data subject's erasure request): it leaves every audience and
 * every store. Events about it that are older than this are ignored; newer ones bring it back.
 */
export const eraseEventSchema = z.object({
  type: z.literal('erase'),
  ...eventBase,
  profileId: z.string().min(1).max(200),
});

/** An erasure asked of the registry's API (`POST /profiles/{id}/erase`): the same as an upstream `erase` event. */
export const erasureRequestSchema = eraseEventSchema.extend({ requestedBy: z.string().min(1).max(200) });
export type ErasureRequest = z.infer<typeof erasureRequestSchema>;

export const segmentEventSchema = z.discriminatedUnion('type', [membershipEventSchema, refreshEventSchema, profileEventSchema, eraseEventSchema]);

export type ProfileAttributes = z.infer<typeof profileAttributesSchema>;
export type MembershipEvent = z.infer<typeof membershipEventSchema>;
export type RefreshEvent = z.infer<typeof refreshEventSchema>;
export type RefreshMember = z.infer<typeof refreshMemberSchema>;
export type ProfileEvent = z.infer<typeof profileEventSchema>;
export type EraseEvent = z.infer<typeof eraseEventSchema>;
export type SegmentEvent = z.infer<typeof segmentEventSchema>;
