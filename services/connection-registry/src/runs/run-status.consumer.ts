import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RunStatus, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ReceivedMessage } from '@audience-sync/kafka';
import { Models, RunDoc } from '../models';

const TERMINAL = new Set(['succeeded', 'failed']);

/** Folds the stages' run-status topics into run history. */
@Injectable()
export class RunStatusConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly consumers: BatchConsumers,
    @InjectModel(Models.run) private readonly runs: Model<RunDoc>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const topic of [Topics.runStatusFromStreamer, Topics.runStatusFromFacebook, Topics.runStatusFromMicrosoft]) {
      await this.consumers.create({ groupId: `connection-registry.${topic.name}`, topic, handle: (messages) => this.apply(messages) }).start();
    }
  }

  async apply(messages: ReceivedMessage<RunStatus>[]): Promise<void> {
    for (const { value } of messages) {
      const existing = await this.runs.findById(value.runId).lean();
      const current = existing?.stages?.[value.stage];
      // Counts are totals; a terminal state is not taken back by a late progress message.
      if (current && TERMINAL.has(current.state) && !TERMINAL.has(value.state)) continue;
      const stage = { state: value.state, counts: value.counts, ...(value.error ? { error: value.error } : {}), at: new Date(value.at) };
      if (existing) await this.runs.updateOne({ _id: value.runId }, { $set: { [`stages.${value.stage}`]: stage } });
      else await this.runs.create({ _id: value.runId, exportId: value.exportId, trigger: value.trigger ?? 'refresh', stages: { [value.stage]: stage } });
    }
  }
}
