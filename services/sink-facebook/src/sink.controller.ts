import { Controller, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '@audience-sync/config';
import { FacebookChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchContext, ConsumeBatches, ContractProducer, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { SinkRunner, startSink } from '@audience-sync/delivery';
import { SinkFacebookConfig } from './config';
import { GraphClient } from './graph-client';
import { FacebookDelivery } from './facebook-delivery';

/** Reads the export table at bootstrap; the transport starts the changes handler after that. */
@Controller()
export class SinkController implements OnApplicationBootstrap {
  private runner?: SinkRunner<FacebookChangeBatch>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SinkFacebookConfig,
    private readonly tables: TableReader,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runner = await startSink<FacebookChangeBatch>(this.tables, this.producer, {
      service: 'sink-facebook',
      runStatus: Topics.runStatusFromFacebook,
      registryUrl: this.config.REGISTRY_INTERNAL_URL,
      internalToken: this.config.INTERNAL_API_TOKEN,
      destination: (registry) => new FacebookDelivery(new GraphClient(this.config, registry)),
    });
  }

  @ConsumeBatches(Topics.facebookChanges, { groupId: 'sink-facebook', shutdownGraceMs: 15000 })
  async handle(messages: ReceivedMessage<FacebookChangeBatch>[], ctx: BatchContext): Promise<void> {
    await this.runner!.handle(messages, ctx);
  }
}
