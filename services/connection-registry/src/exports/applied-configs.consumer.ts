import { Controller } from '@nestjs/common';
import { ConfigApplied, configAppliedTopics, PipelineStage } from '@audience-sync/contracts';
import { BatchContext, ConsumeBatches, ReceivedMessage } from '@audience-sync/kafka';
import { AppliedConfigs } from './applied-configs';

const stageOf = new Map(Object.entries(configAppliedTopics).map(([stage, topic]) => [topic.name, stage as PipelineStage]));

/** The stages' reports of applied configuration versions, one consumer group per stage's topic. */
@Controller()
export class AppliedConfigsConsumer {
  constructor(private readonly applied: AppliedConfigs) {}

  @ConsumeBatches(Object.values(configAppliedTopics), { groupId: (topic) => `connection-registry.${topic.name}` })
  async fold(messages: ReceivedMessage<ConfigApplied | null>[], ctx: BatchContext): Promise<void> {
    await this.applied.fold(stageOf.get(ctx.topic)!, messages);
  }
}
