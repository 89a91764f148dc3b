import { z } from 'zod';
import { pipelineStageSchema } from './config-applied';

export const runStateSchema = z.enum(['pending', 'running', 'succeeded', 'failed']);
export type RunState = z.infer<typeof runStateSchema>;

export const runCountsSchema = z.object({
  sent: z.number().int().min(0),
  removed: z.number().int().min(0),
  invalid: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type RunCounts = z.infer<typeof runCountsSchema>;

/** A stage's counts, with why rows were invalid where it knows (e.g. `no-mapped-identifier`); the reasons add up to at most `invalid`. */
export const stageCountsSchema = runCountsSchema.extend({ invalidByReason: z.record(z.string(), z.number().int().min(0)).optional() });
export type StageCounts = z.infer<typeof stageCountsSchema>;

/** A row a dry run names: the first characters of its identity (a digest of its digests), never a value. */
export const dryRunSampleSchema = z.object({ audienceKey: z.string().min(1), row: z.string().min(1).max(32) });
export type DryRunSample = z.infer<typeof dryRunSampleSchema>;

/**
 * What a full sync would do, as a dry run worked it out. `wouldAdd`/`wouldKeep` count members
 * (a member whose row is not the one it was sent is an add); `wouldRemove` counts rows that would
 * leave the destination audience (no member keeps them, no other export feeding it holds them).
 */
export const dryRunResultSchema = z.object({
  wouldAdd: z.number().int().min(0),
  wouldRemove: z.number().int().min(0),
  wouldKeep: z.number().int().min(0),
  invalid: z.number().int().min(0),
  invalidByReason: z.record(z.string(), z.number().int().min(0)),
  /** At most a few rows of each kind. */
  samples: z.object({ add: z.array(dryRunSampleSchema).max(5), remove: z.array(dryRunSampleSchema).max(5) }),
});
export type DryRunResult = z.infer<typeof dryRunResultSchema>;

/**
 * The audience's size as the platform reported it after a run (a sink reads it back, best effort):
 * `ready` (bounds usable), `processing` (the platform has not finished matching the latest upload:
 * bounds may be old or missing), `too-small` (below what the platform serves), `unusable` (the
 * platform flags the audience: see `detail`), `unavailable` (the size could not be read: the run is
 * unaffected). Bounds are equal where the platform gives one number.
 */
export const audienceSizeSchema = z.object({
  sizeLowerBound: z.number().int().min(0).optional(),
  sizeUpperBound: z.number().int().min(0).optional(),
  status: z.enum(['ready', 'processing', 'too-small', 'unusable', 'unavailable']).optional(),
  /** The platform's words (e.g. Facebook's operation_status description); never identifiers. */
  detail: z.string().max(500).optional(),
  checkedAt: z.iso.datetime({ offset: true }),
});
export type AudienceSize = z.infer<typeof audienceSizeSchema>;

/**
 * Progress of a run as one pipeline stage sees it. Counts are the stage's running totals for the
 * run (not increments), so a replayed message never double-counts.
 */
export const runStatusSchema = z.object({
  runId: z.string().min(1),
  exportId: z.string().min(1),
  stage: pipelineStageSchema,
  trigger: z.enum(['on-demand', 'refresh', 'erase', 'dry-run']).optional(),
  state: runStateSchema,
  counts: stageCountsSchema,
  /** A message for the admin; never contains identifiers. */
  error: z.string().max(2000).optional(),
  /** A sink's read-back of the audience's size once the run finished. */
  audience: audienceSizeSchema.optional(),
  /** A dry run's result (trigger `dry-run`); its counts stay zero, as it sends nothing. */
  dryRun: dryRunResultSchema.optional(),
  at: z.iso.datetime({ offset: true }),
});
export type RunStatus = z.infer<typeof runStatusSchema>;
