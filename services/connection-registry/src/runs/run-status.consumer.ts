import { Controller } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RunStatus, Topics } from '@audience-sync/contracts';
import { ConsumeBatches, ReceivedMessage } from '@audience-sync/kafka';
import { counter, DURATION_BUCKETS, histogram } from '@audience-sync/runtime';
import { Models, RunDoc, RunStageDoc } from '../models';
import { WebhookAlerts } from '../webhooks/webhook-alerts';

const TERMINAL = new Set(['succeeded', 'failed']);

const runStates = counter({ name: 'runs_total', help: "Runs entering a state (running, succeeded, failed), by export and the pipeline stage that reported it", labelNames: ['export_id', 'stage', 'state'] });
const runDuration = histogram({
  name: 'run_duration_seconds',
  help: 'From a run being recorded (asked for, or its first report) to a stage finishing it, by stage, trigger and final state',
  labelNames: ['stage', 'trigger', 'state'],
  buckets: DURATION_BUCKETS,
});

/** Folds the stages' run-status topics into run history. */
@Controller()
export class RunStatusConsumer {
  constructor(
    @InjectModel(Models.run) private readonly runs: Model<RunDoc>,
    @InjectModel(Models.runStage) private readonly stages: Model<RunStageDoc>,
    private readonly alerts: WebhookAlerts,
  ) {}

  /**
   * A stage's document has one writer, this stage's consumer (its reports of a run come in order,
   * keyed by run id). A run a refresh started is recorded by whichever stage reports first; a
   * racing insert by the other fails with a duplicate key and the batch is handled again.
   */
  @ConsumeBatches([Topics.runStatusFromStreamer, Topics.runStatusFromFacebook, Topics.runStatusFromMicrosoft], { groupId: (topic) => `connection-registry.${topic.name}` })
  async apply(messages: ReceivedMessage<RunStatus>[]): Promise<void> {
    for (const { value } of messages) {
      const id = `${value.runId}/${value.stage}`;
      const current = await this.stages.findById(id).lean();
      // Counts are totals; a terminal state is not taken back by a late progress message.
      if (current && TERMINAL.has(current.state) && !TERMINAL.has(value.state)) continue;
      const entered = current?.state !== value.state;
      // The audience size a sink read back after the run comes with its final status again; a later
      // message without one (a replay) keeps the size already recorded.
      const stage = { runId: value.runId, stage: value.stage, state: value.state, counts: value.counts, at: new Date(value.at), ...(value.audience ? { audience: value.audience } : {}), ...(value.dryRun ? { dryRun: value.dryRun } : {}) };
      await this.stages.updateOne({ _id: id }, value.error ? { $set: { ...stage, error: value.error } } : { $set: stage, $unset: { error: 1 } }, { upsert: true });
      const run = (await this.runs.findById(value.runId, { createdAt: 1, trigger: 1 }).lean()) ?? (await this.runs.create({ _id: value.runId, exportId: value.exportId, trigger: value.trigger ?? 'refresh' }));
      if (entered) this.count(value, run);
      // Again on a replayed final report: the alerts are queued once per run, so one lost to a crash is queued then.
      if (TERMINAL.has(value.state)) await this.alerts.runFinished(value.runId);
    }
  }

  /** Once per stage and state (a replayed report finds the state already stored). */
  private count(value: RunStatus, run: Pick<RunDoc, 'createdAt' | 'trigger'>): void {
    runStates.inc({ export_id: value.exportId, stage: value.stage, state: value.state });
    if (!TERMINAL.has(value.state)) return;
    const seconds = Math.max(0, Date.parse(value.at) - new Date(run.createdAt).getTime()) / 1000;
    runDuration.observe({ stage: value.stage, trigger: run.trigger, state: value.state }, seconds);
  }
}
