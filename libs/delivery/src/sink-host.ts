import { Controller, DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, Type } from '@nestjs/common';
import { APP_CONFIG, AppConfigModule } from '@audience-sync/config';
import { configAppliedTopics, Topics } from '@audience-sync/contracts';
import { BatchContext, ConsumeBatches, ContractProducer, KafkaModule, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { HealthModule } from '@audience-sync/runtime';
import { SinkConfig } from './sink-config';
import { HashedBatch } from './sink-runner';
import { SinkDelivery, StartedSink, startSink } from './start-sink';

/**
 * The controller of a sink for one destination: reads the export table at bootstrap (the transport
 * starts the changes handler after that) and hands each batch of its changes topic to the runner.
 * Made per destination because the topic a handler consumes is fixed where it is declared.
 */
function sinkController<B extends HashedBatch, C extends SinkConfig>(delivery: SinkDelivery<B, C>): Type<unknown> {
  @Controller()
  class SinkController implements OnApplicationBootstrap, OnApplicationShutdown {
    private sink?: StartedSink<B>;

    constructor(
      @Inject(APP_CONFIG) private readonly config: C,
      private readonly tables: TableReader,
      private readonly producer: ContractProducer,
    ) {}

    async onApplicationBootstrap(): Promise<void> {
      this.sink = await startSink(this.tables, this.producer, delivery, this.config);
    }

    async onApplicationShutdown(): Promise<void> {
      await this.sink?.readBack.close();
    }

    @ConsumeBatches(delivery.changes, { groupId: delivery.service, shutdownGraceMs: 15000 })
    async handle(messages: ReceivedMessage<B>[], ctx: BatchContext): Promise<void> {
      await this.sink!.runner.handle(messages, ctx);
    }
  }
  return SinkController;
}

/**
 * A sink service: one destination's delivery behind the shared runner, with its configuration,
 * Kafka (the topics it reads and writes) and health. Each sink's AppModule imports this for its
 * destination; `concurrency` is how many partitions it delivers at once.
 */
@Module({})
export class SinkHostModule {
  static forRoot<B extends HashedBatch, C extends SinkConfig>(delivery: SinkDelivery<B, C>, config: C & { KAFKA_BROKERS: string[]; PERSONAL_DATA_RETENTION_HOURS?: number }, concurrency: number): DynamicModule {
    const { service } = delivery;
    return {
      module: SinkHostModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service, brokers: config.KAFKA_BROKERS, topics: [delivery.changes, Topics.exportConfigs, delivery.runStatus, configAppliedTopics[service]], personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS, partitionsConsumedConcurrently: { [service]: concurrency } }),
        HealthModule.forRoot({ database: false }),
      ],
      controllers: [sinkController(delivery)],
    };
  }
}
