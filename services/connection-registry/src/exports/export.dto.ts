import { z } from 'zod';
import { PipelineStage } from '@audience-sync/contracts';
import { exportBodyBlocks } from '@audience-sync/destinations';
import { ExportDoc } from '../models';
import { pageQuery } from '../common/zod-body';
import { AppliedVersions } from './applied-configs';
import { exportPartsOf, settingsBlocksView } from './export-settings';

const segment = z.object({ id: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(128) });

export const createExportBody = z
  .object({
    displayName: z.string().trim().min(1).max(200),
    connectionId: z.string().min(1),
    segments: z.array(segment).min(1, 'select at least one segment').max(100),
    /** One block for the connection's destination: `facebook` or `microsoft`. */
    ...exportBodyBlocks(),
  })
  .strict();

/**
 * A change of an export, and its pause: pausing is part of the export's configuration, which the
 * pipeline follows by version, so it is a change like any other (If-Match, audit, `pipeline.state`
 * saying when the streamer stopped sending), not a resource of its own.
 */
export const updateExportBody = createExportBody
  .omit({ connectionId: true })
  .partial()
  .extend({
    paused: z.boolean().optional().describe('true pauses the export: nothing is sent for it and it does not run, until false resumes it with a full sync'),
  })
  .strict();

/** POST /exports/{id}/runs: an empty body starts a full sync; `dryRun` only works out what one would do. */
export const runRequestBody = z.object({ dryRun: z.boolean().optional() }).strict();

export const runTriggers = ['on-demand', 'refresh', 'erase', 'dry-run'] as const;

/** GET /exports/{id}/runs: a page, optionally of one trigger's runs (stored on the run, so the database filters it; a run's state is derived from its stages' reports, so it is no filter). */
export const runsQuery = pageQuery.extend({ trigger: z.enum(runTriggers).optional() });

/**
 * One export as the API shows it, with the audiences it feeds: Facebook one customer list (and the
 * other exports feeding it, whose members it also holds), Microsoft one list per segment, named
 * after the segment. `problem` says what to do while its changes wait. `paused`: nothing is sent
 * for it (`pausedBy`, `pausedAt` while so). `pipeline` says whether the pipeline follows the saved
 * configuration yet.
 */
export function exportView(e: ExportDoc, sharedWith: string[] = [], applied: AppliedVersions = {}) {
  const { parts, settings } = exportPartsOf(e);
  const audiences = parts.audiences(settings, e.segments, sharedWith);
  return {
    id: e._id,
    displayName: e.displayName,
    connectionId: e.connectionId,
    segments: e.segments,
    ...settingsBlocksView(e),
    audiences,
    state: e.problem ? ('needs-attention' as const) : ('active' as const),
    problem: e.problem ?? undefined,
    paused: Boolean(e.paused),
    pausedBy: e.paused?.by,
    pausedAt: e.paused?.at,
    version: e.version,
    pipeline: pipelineView(e, applied),
    createdBy: e.createdBy,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

/**
 * Saving changes the export at once, the pipeline a moment later: `active` once the hasher, the
 * segment streamer and the export's sink have all applied the saved version (`appliedVersion`,
 * null before they applied any), `saved` until then. The stages report what they applied, so while
 * one is down a change stays `saved`. Attribute values hashed before the hasher applied a new
 * mapping take effect when they next arrive (the segments' next refresh).
 */
function pipelineView(e: ExportDoc, applied: AppliedVersions) {
  const stages: PipelineStage[] = ['identifier-hasher', 'segment-streamer', exportPartsOf(e).parts.sinkStage];
  const appliedVersion = Math.min(...stages.map((stage) => applied[stage] ?? 0));
  return { savedVersion: e.version, appliedVersion: appliedVersion || null, state: appliedVersion >= e.version ? ('active' as const) : ('saved' as const) };
}
