import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG } from '@audience-sync/config';
import { MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KAFKA, readTable } from '@audience-sync/kafka';
import { ExportTable, RegistryClient, RunTracker, SinkRunner } from '@audience-sync/delivery';
import { SinkMicrosoftConfig } from './config';
import { CampaignClient } from './campaign-client';
import { CustomerMatchDelivery } from './customer-match-delivery';

@Injectable()
export class SinkService implements OnApplicationBootstrap {
  readonly table = new ExportTable();

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: SinkMicrosoftConfig,
    private readonly consumers: BatchConsumers,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const registry = new RegistryClient(this.config.REGISTRY_INTERNAL_URL, this.config.INTERNAL_API_TOKEN);
    const delivery = new CustomerMatchDelivery(new CampaignClient(this.config, registry));
    const tracker = new RunTracker('sink-microsoft-ads', (status) => this.producer.send(Topics.runStatusFromMicrosoft, [{ key: status.runId, value: { ...status, at: new Date().toISOString() } }]));
    const runner = new SinkRunner<MicrosoftChangeBatch>(this.table, tracker, (batch, config, ctx) => delivery.deliver(batch, config, ctx));
    await readTable(this.kafka, this.consumers, 'sink-microsoft-ads', Topics.exportConfigs, async (exportId, config) => this.table.apply(exportId, config));
    await this.consumers
      .create({ groupId: 'sink-microsoft-ads', topic: Topics.microsoftChanges, partitionsConsumedConcurrently: this.config.SINK_MICROSOFT_CONCURRENCY, shutdownGraceMs: 15000, handle: (messages, ctx) => runner.handle(messages, ctx) })
      .start();
  }
}
