import { RunCounts, RunState } from '@audience-sync/contracts';
import { RunDoc } from '../models';

const SINK = { 'facebook-ads': 'sink-facebook', 'microsoft-advertising': 'sink-microsoft-ads' } as const;
const zero: RunCounts = { sent: 0, removed: 0, invalid: 0, failed: 0 };

/** One run as the history shows it: the destination's sink decides success; any stage can fail it. */
export function runView(run: RunDoc, destination: keyof typeof SINK) {
  const stages = run.stages ?? {};
  const failed = Object.entries(stages).find(([, s]) => s.state === 'failed');
  const sink = stages[SINK[destination]];
  const upstream = stages['segment-streamer'];
  let state: RunState = 'pending';
  if (failed) state = 'failed';
  else if (sink?.state === 'succeeded') state = 'succeeded';
  else if (Object.keys(stages).length > 0) state = 'running';
  const counts = sink?.counts ?? upstream?.counts ?? zero;
  return {
    id: run._id,
    exportId: run.exportId,
    trigger: run.trigger,
    requestedBy: run.requestedBy,
    state,
    counts,
    error: failed?.[1].error,
    stages,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
}
