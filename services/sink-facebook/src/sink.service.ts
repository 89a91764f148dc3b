import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG } from '@audience-sync/config';
import { FacebookChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KAFKA, readTable } from '@audience-sync/kafka';
import { ExportTable, RegistryClient, RunTracker, SinkRunner } from '@audience-sync/delivery';
import { SinkFacebookConfig } from './config';
import { GraphClient } from './graph-client';
import { FacebookDelivery } from './facebook-delivery';

@Injectable()
export class SinkService implements OnApplicationBootstrap {
  readonly table = new ExportTable();

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: SinkFacebookConfig,
    private readonly consumers: BatchConsumers,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const registry = new RegistryClient(this.config.REGISTRY_INTERNAL_URL, this.config.INTERNAL_API_TOKEN);
    const delivery = new FacebookDelivery(new GraphClient(this.config, registry));
    const tracker = new RunTracker('sink-facebook', (status) => this.producer.send(Topics.runStatusFromFacebook, [{ key: status.runId, value: { ...status, at: new Date().toISOString() } }]));
    const runner = new SinkRunner<FacebookChangeBatch>(this.table, tracker, (batch, config, ctx) => delivery.deliver(batch, config, ctx));
    await readTable(this.kafka, this.consumers, 'sink-facebook', Topics.exportConfigs, async (exportId, config) => this.table.apply(exportId, config));
    await this.consumers
      .create({ groupId: 'sink-facebook', topic: Topics.facebookChanges, partitionsConsumedConcurrently: this.config.SINK_FACEBOOK_CONCURRENCY, shutdownGraceMs: 15000, handle: (messages, ctx) => runner.handle(messages, ctx) })
      .start();
  }
}
