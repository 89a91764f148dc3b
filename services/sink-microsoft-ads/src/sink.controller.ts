import { Controller, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '@audience-sync/config';
import { MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchContext, ConsumeBatches, ContractProducer, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { SinkRunner, startSink } from '@audience-sync/delivery';
import { SinkMicrosoftConfig } from './config';
import { CampaignClient } from './campaign-client';
import { CustomerMatchDelivery } from './customer-match-delivery';

/** Reads the export table at bootstrap; the transport starts the changes handler after that. */
@Controller()
export class SinkController implements OnApplicationBootstrap {
  private runner?: SinkRunner<MicrosoftChangeBatch>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SinkMicrosoftConfig,
    private readonly tables: TableReader,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runner = await startSink<MicrosoftChangeBatch>(this.tables, this.producer, {
      service: 'sink-microsoft-ads',
      runStatus: Topics.runStatusFromMicrosoft,
      registryUrl: this.config.REGISTRY_INTERNAL_URL,
      internalToken: this.config.INTERNAL_API_TOKEN,
      destination: (registry) => new CustomerMatchDelivery(new CampaignClient(this.config, registry), registry),
    });
  }

  @ConsumeBatches(Topics.microsoftChanges, { groupId: 'sink-microsoft-ads', shutdownGraceMs: 15000 })
  async handle(messages: ReceivedMessage<MicrosoftChangeBatch>[], ctx: BatchContext): Promise<void> {
    await this.runner!.handle(messages, ctx);
  }
}
