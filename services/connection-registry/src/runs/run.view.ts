import { RunState, StageCounts } from '@audience-sync/contracts';
import { DestinationId, registryPartsOf } from '@audience-sync/destinations';
import { RunDoc, RunStageDoc, StageStatus } from '../models';

const zero: StageCounts = { sent: 0, removed: 0, invalid: 0, failed: 0 };

/** Invalid rows the sink counted without a reason: the hasher found nothing usable, or the platform refused them. */
const DOWNSTREAM = 'rejected-by-hasher-or-platform';

/**
 * The run's counts: what the sink delivered, and every invalid row whichever stage dropped it
 * (the streamer's members without a usable identifier included), by reason.
 */
function runCounts(upstream: StageStatus | undefined, sink: StageStatus | undefined): StageCounts {
  if (!sink) return upstream?.counts ?? zero;
  const reasons: Record<string, number> = { ...upstream?.counts.invalidByReason };
  const explained = Object.values(sink.counts.invalidByReason ?? {}).reduce((a, b) => a + b, 0);
  for (const [reason, n] of Object.entries(sink.counts.invalidByReason ?? {})) reasons[reason] = (reasons[reason] ?? 0) + n;
  if (sink.counts.invalid > explained) reasons[DOWNSTREAM] = (reasons[DOWNSTREAM] ?? 0) + sink.counts.invalid - explained;
  const invalid = sink.counts.invalid + (upstream?.counts.invalid ?? 0);
  return { sent: sink.counts.sent, removed: sink.counts.removed, invalid, failed: sink.counts.failed, ...(invalid > 0 ? { invalidByReason: reasons } : {}) };
}

/**
 * One run as the history shows it: it succeeded when the streamer and the destination's sink did
 * (a dry run: when the streamer did, as nothing reaches the sink); any stage can fail it.
 */
export function runView(run: RunDoc, reports: RunStageDoc[], destination: DestinationId) {
  const stages: Record<string, StageStatus> = { ...run.stages };
  for (const { stage, state, counts, error, audience, dryRun, at } of reports) stages[stage] = { state, counts, ...(error ? { error } : {}), ...(audience ? { audience } : {}), ...(dryRun ? { dryRun } : {}), at };
  const failed = Object.entries(stages).find(([, s]) => s.state === 'failed');
  const sink = stages[registryPartsOf(destination).sinkStage];
  const upstream = stages['segment-streamer'];
  let state: RunState = 'pending';
  if (failed) state = 'failed';
  // Both stages report on topics of their own: only when both are done are the counts complete.
  else if ((sink?.state === 'succeeded' || run.trigger === 'dry-run') && upstream?.state === 'succeeded') state = 'succeeded';
  else if (Object.keys(stages).length > 0) state = 'running';
  const counts = runCounts(upstream, sink);
  return {
    id: run._id,
    exportId: run.exportId,
    trigger: run.trigger,
    requestedBy: run.requestedBy,
    state,
    counts,
    // What a full sync would do; the counts stay zero, as a dry run sends nothing.
    ...(run.trigger === 'dry-run' ? { dryRun: upstream?.dryRun ?? null } : {}),
    error: failed?.[1].error,
    /** The audience's size at the platform as the sink read it after the run ("sent 10,000, audience ~8,200"). */
    audience: sink?.audience,
    stages,
    createdAt: run.createdAt,
    updatedAt: new Date(Math.max(new Date(run.updatedAt).getTime(), ...reports.map((r) => new Date(r.at).getTime()))),
  };
}
