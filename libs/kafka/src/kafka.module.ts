import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Kafka } from 'kafkajs';
import { ServiceName, TopicSpec, deadLetterTopic } from '@audience-sync/contracts';
import { createKafka } from './kafka-client';
import { ContractProducer } from './contract-producer';
import { BatchConsumer, BatchConsumerOptions } from './batch-consumer';
import { ConsumerProgress, KafkaHealth } from './kafka-health';
import { ensureTopics } from './topic-admin';

export const KAFKA = Symbol('KAFKA');
const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');

export interface KafkaModuleOptions {
  service: ServiceName;
  brokers: string[];
  /** Topics this service reads or writes; created at start-up if missing. */
  topics: TopicSpec[];
}

/** Creates consumers bound to the service's producer, and stops them before the app shuts down. */
@Injectable()
export class BatchConsumers implements BeforeApplicationShutdown {
  private readonly consumers: BatchConsumer<TopicSpec>[] = [];

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(KAFKA_OPTIONS) private readonly options: KafkaModuleOptions,
    private readonly producer: ContractProducer,
    private readonly progress: ConsumerProgress,
  ) {}

  create<T extends TopicSpec>(options: Omit<BatchConsumerOptions<T>, 'service'>): BatchConsumer<T> {
    const consumer = new BatchConsumer(this.kafka, this.producer, { ...options, service: this.options.service }, this.progress);
    this.consumers.push(consumer as unknown as BatchConsumer<TopicSpec>);
    return consumer;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}

@Injectable()
class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(KAFKA_OPTIONS) private readonly options: KafkaModuleOptions,
    private readonly producer: ContractProducer,
  ) {}

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, [...this.options.topics, deadLetterTopic(this.options.service)]);
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      imports: [TerminusModule],
      providers: [
        { provide: KAFKA_OPTIONS, useValue: options },
        { provide: KAFKA, useFactory: () => createKafka({ clientId: options.service, brokers: options.brokers }) },
        { provide: ContractProducer, useFactory: (kafka: Kafka) => new ContractProducer(kafka), inject: [KAFKA] },
        {
          provide: KafkaHealth,
          useFactory: (indicators: HealthIndicatorService) =>
            new KafkaHealth(createKafka({ clientId: `${options.service}-health`, brokers: options.brokers }, 0), indicators),
          inject: [HealthIndicatorService],
        },
        ConsumerProgress,
        BatchConsumers,
        KafkaLifecycle,
      ],
      exports: [KAFKA, ContractProducer, BatchConsumers, KafkaHealth, ConsumerProgress],
    };
  }
}
