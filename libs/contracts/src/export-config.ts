import { z } from 'zod';

export const destinationSchema = z.enum(['facebook-ads', 'microsoft-advertising']);
export type Destination = z.infer<typeof destinationSchema>;

/** Facebook multi-key schema keys an export may map; DOB is split into DOBY/DOBM/DOBD by the hasher. */
export const facebookKeySchema = z.enum(['EMAIL', 'PHONE', 'FN', 'LN', 'FI', 'GEN', 'DOB', 'ST', 'CT', 'ZIP', 'COUNTRY', 'MADID', 'EXTERN_ID']);
export type FacebookKey = z.infer<typeof facebookKeySchema>;

export const facebookKeyIdentifierSchema = z.enum(['email', 'name-and-address', 'phone']);
export type FacebookKeyIdentifier = z.infer<typeof facebookKeyIdentifierSchema>;

export const connectionStateSchema = z.enum(['active', 'needs-reauthentication']);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

/**
 * The effective configuration of one export, without secrets, as the pipeline sees it.
 * Published by the registry to a compacted topic keyed by export id; a deletion is a tombstone.
 */
export const exportConfigSchema = z.object({
  exportId: z.string().min(1),
  version: z.number().int().min(1),
  displayName: z.string(),
  connectionId: z.string().min(1),
  connectionState: connectionStateSchema,
  /**
   * Set when the export cannot deliver until an admin acts (e.g. its Facebook audience no longer
   * exists): what to do, in words. Like a connection needing re-authentication, the export's
   * changes wait, uncommitted, until the registry publishes the config without it.
   */
  problem: z.string().min(1).max(500).optional(),
  /**
   * Paused by an admin: the streamer sends nothing for the export (no live changes, no refreshes,
   * no full sync) but keeps its membership state current, and the registry starts a full sync on
   * resume. Absent means not paused, so configurations published before the field parse as before.
   */
  paused: z.boolean().optional(),
  /** Microsoft Advertising names each segment's audience after the segment. */
  segments: z.array(z.object({ id: z.string().min(1), name: z.string().min(1).max(128) })).min(1),
  maxProfiles: z.number().int().positive(),
  updatedAt: z.iso.datetime({ offset: true }),
  destination: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('facebook-ads'),
      adAccountId: z.string().min(1),
      audienceId: z.string().min(1),
      keyIdentifier: facebookKeyIdentifierSchema,
      /** Facebook key -> profile attribute name. */
      mappings: z.partialRecord(facebookKeySchema, z.string().min(1)),
      /**
       * ISO 3166-1 alpha-2 country (e.g. NO) of a phone number written without its country code,
       * when the profile's mapped COUNTRY does not say. Without it such numbers are dropped.
       */
      defaultCountry: z.string().regex(/^[A-Za-z]{2}$/).optional(),
    }),
    z.object({
      type: z.literal('microsoft-advertising'),
      customerId: z.string().regex(/^\d+$/),
      accountId: z.string().regex(/^\d+$/),
      emailAttribute: z.string().min(1),
      acceptCustomerMatchTerms: z.boolean(),
    }),
  ]),
});
export type ExportConfig = z.infer<typeof exportConfigSchema>;

export const runRequestSchema = z.object({
  runId: z.string().min(1),
  exportId: z.string().min(1),
  /** The export's configuration version when the run was asked for: the pipeline waits until it has applied at least this one. */
  exportVersion: z.number().int().min(1).optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  /** Work out what a full sync would add, remove and drop, and report it: nothing is sent and no state changes. */
  dryRun: z.boolean().optional(),
});
export type RunRequest = z.infer<typeof runRequestSchema>;
