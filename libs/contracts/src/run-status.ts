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
  trigger: z.enum(['on-demand', 'refresh', 'erase']).optional(),
  state: runStateSchema,
  counts: stageCountsSchema,
  /** A message for the admin; never contains identifiers. */
  error: z.string().max(2000).optional(),
  /** A sink's read-back of the audience's size once the run finished. */
  audience: audienceSizeSchema.optional(),
  at: z.iso.datetime({ offset: true }),
});
export type RunStatus = z.infer<typeof runStatusSchema>;
