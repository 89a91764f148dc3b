import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG } from '@audience-sync/config';
import { MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KAFKA } from '@audience-sync/kafka';
import { startSink } from '@audience-sync/delivery';
import { SinkMicrosoftConfig } from './config';
import { CampaignClient } from './campaign-client';
import { CustomerMatchDelivery } from './customer-match-delivery';

@Injectable()
export class SinkService implements OnApplicationBootstrap {
  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: SinkMicrosoftConfig,
    private readonly consumers: BatchConsumers,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await startSink<MicrosoftChangeBatch>(this.kafka, this.consumers, this.producer, {
      service: 'sink-microsoft-ads',
      changes: Topics.microsoftChanges,
      runStatus: Topics.runStatusFromMicrosoft,
      concurrency: this.config.SINK_MICROSOFT_CONCURRENCY,
      registryUrl: this.config.REGISTRY_INTERNAL_URL,
      internalToken: this.config.INTERNAL_API_TOKEN,
      destination: (registry) => new CustomerMatchDelivery(new CampaignClient(this.config, registry), registry),
    });
  }
}
