import { z } from 'zod';
import { destinationSchema, facebookKeySchema } from './export-config';

/**
 * How a batch relates to a run. `delta`: live changes. `full-sync`: the complete audience for a
 * run, in order; the sink turns it into the destination's replace operation.
 */
export const deliveryModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delta') }),
  z.object({
    kind: z.literal('full-sync'),
    runId: z.string().min(1),
    seq: z.number().int().min(1),
    last: z.boolean(),
  }),
]);
export type DeliveryMode = z.infer<typeof deliveryModeSchema>;

/** The run a batch belongs to, so the sink can report its progress and end. */
export const runContextSchema = z.object({
  runId: z.string().min(1),
  /** `erase`: a profile's erasure, reported as a run of each export whose audiences held it. */
  trigger: z.enum(['refresh', 'on-demand', 'erase']),
  /** How many audiences this run feeds (Microsoft: one per segment); each ends with `last`. */
  audiences: z.number().int().min(1),
  /** The last batch of this run for this audience. */
  last: z.boolean(),
  /**
   * The run sends each audience's whole membership (an export's first refresh, or a full sync): a
   * destination list that does not exist yet is expected, not a sign that one was lost.
   */
  fills: z.boolean().optional(),
});
export type RunContext = z.infer<typeof runContextSchema>;

/** Identifies one destination audience of one export. */
export const audienceRefSchema = z.object({
  exportId: z.string().min(1),
  exportVersion: z.number().int().min(1),
  connectionId: z.string().min(1),
  destination: destinationSchema,
  /** Facebook: the audience id. Microsoft: the segment id (one audience per segment). */
  audienceKey: z.string().min(1),
  /** Microsoft: the audience is named after the segment. */
  audienceName: z.string().optional(),
  /** Facebook: the export's mapped keys, the same for every row of the audience. */
  facebookKeys: z.array(facebookKeySchema).optional(),
  /** Microsoft: the connection's consent, sent as AcceptCustomerMatchTerm. */
  acceptTerms: z.boolean().optional(),
  /** Microsoft: the customer and account the audience lives in. */
  customerId: z.string().optional(),
  accountId: z.string().optional(),
});
export type AudienceRef = z.infer<typeof audienceRefSchema>;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** Counts the hasher reports with each batch so the sinks can fold them into run progress. */
export const hashingCountsSchema = z.object({
  droppedValues: z.record(z.string(), z.number().int().min(0)),
  rejectedRows: z.number().int().min(0),
});
export type HashingCounts = z.infer<typeof hashingCountsSchema>;

/** hasher -> sink-facebook: rows in one multi-key schema; values are digests (or MADID/EXTERN_ID as-is). */
export const facebookChangeBatchSchema = z.object({
  batchId: z.string().min(1),
  audience: audienceRefSchema,
  mode: deliveryModeSchema,
  run: runContextSchema.optional(),
  schema: z.array(z.string().min(1)).min(1),
  adds: z.array(z.array(z.string())).max(10_000),
  removes: z.array(z.array(z.string())).max(10_000),
  counts: hashingCountsSchema,
});
export type FacebookChangeBatch = z.infer<typeof facebookChangeBatchSchema>;

/** hasher -> sink-microsoft-ads: SHA-256 email digests. */
export const microsoftChangeBatchSchema = z.object({
  batchId: z.string().min(1),
  audience: audienceRefSchema,
  mode: deliveryModeSchema,
  run: runContextSchema.optional(),
  adds: z.array(sha256Hex).max(10_000),
  removes: z.array(sha256Hex).max(10_000),
  counts: hashingCountsSchema,
});
export type MicrosoftChangeBatch = z.infer<typeof microsoftChangeBatchSchema>;
