import { z } from 'zod';

/** The pipeline stages that act on export configurations. */
export const pipelineStageSchema = z.enum(['identifier-hasher', 'segment-streamer', 'sink-facebook', 'sink-microsoft-ads']);
export type PipelineStage = z.infer<typeof pipelineStageSchema>;

/**
 * A stage has applied this version of an export's configuration: what it does from now on follows
 * it. Each stage writes these to a compacted topic of its own keyed by export id, so the topic
 * keeps the newest per export; a tombstone once the stage applied the export's deletion.
 */
export const configAppliedSchema = z.object({
  exportId: z.string().min(1),
  stage: pipelineStageSchema,
  version: z.number().int().min(1),
});
export type ConfigApplied = z.infer<typeof configAppliedSchema>;
