import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG } from '@audience-sync/config';
import { FacebookChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KAFKA } from '@audience-sync/kafka';
import { startSink } from '@audience-sync/delivery';
import { SinkFacebookConfig } from './config';
import { GraphClient } from './graph-client';
import { FacebookDelivery } from './facebook-delivery';

@Injectable()
export class SinkService implements OnApplicationBootstrap {
  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: SinkFacebookConfig,
    private readonly consumers: BatchConsumers,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await startSink<FacebookChangeBatch>(this.kafka, this.consumers, this.producer, {
      service: 'sink-facebook',
      changes: Topics.facebookChanges,
      runStatus: Topics.runStatusFromFacebook,
      concurrency: this.config.SINK_FACEBOOK_CONCURRENCY,
      registryUrl: this.config.REGISTRY_INTERNAL_URL,
      internalToken: this.config.INTERNAL_API_TOKEN,
      destination: (registry) => new FacebookDelivery(new GraphClient(this.config, registry)),
    });
  }
}
