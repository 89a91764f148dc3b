import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Kafka } from 'kafkajs';
import { ServiceName, TopicSpec, deadLetterTopic } from '@audience-sync/contracts';
import { createKafka } from './kafka-client';
import { ContractProducer } from './contract-producer';
import { KafkaBatchTransport } from './batch-transport';
import { BatchConsumers } from './batch-consumer';
import { ConsumerProgress, KafkaHealth } from './kafka-health';
import { ensureTopics } from './topic-admin';
import { TableReader } from './table-reader';
import { KafkaSecurity, kafkaSecurityFromEnv } from './kafka-security';

export const KAFKA = Symbol('KAFKA');
const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');

export interface KafkaModuleOptions {
  service: ServiceName;
  brokers: string[];
  /** Topics this service reads or writes; created at start-up if missing. */
  topics: TopicSpec[];
  /** By consumer group: what comes from config, which a handler's decorator cannot read. */
  partitionsConsumedConcurrently?: Record<string, number>;
  /** PERSONAL_DATA_RETENTION_HOURS (topicConfig), for the personal-data topics among `topics`. */
  personalDataRetentionHours?: number;
  /** SASL and TLS of the service's clients; read from KAFKA_SASL_* and KAFKA_SSL when not given. */
  security?: KafkaSecurity;
}

@Injectable()
class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(KAFKA_OPTIONS) private readonly options: KafkaModuleOptions,
    private readonly producer: ContractProducer,
  ) {}

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, [...this.options.topics, deadLetterTopic(this.options.service)], { personalDataRetentionHours: this.options.personalDataRetentionHours, service: this.options.service });
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
    // Here, not in each service: every service gets the same authentication from the same variables.
    const connection = { brokers: options.brokers, security: options.security ?? kafkaSecurityFromEnv(options.service) };
    return {
      module: KafkaModule,
      imports: [TerminusModule],
      providers: [
        { provide: KAFKA_OPTIONS, useValue: options },
        { provide: KAFKA, useFactory: () => createKafka({ clientId: options.service, ...connection }) },
        { provide: ContractProducer, useFactory: (kafka: Kafka) => new ContractProducer(kafka), inject: [KAFKA] },
        {
          provide: KafkaHealth,
          useFactory: (indicators: HealthIndicatorService) =>
            new KafkaHealth(createKafka({ clientId: `${options.service}-health`, ...connection }, 0), indicators),
          inject: [HealthIndicatorService],
        },
        ConsumerProgress,
        {
          provide: BatchConsumers,
          useFactory: (kafka: Kafka, producer: ContractProducer, progress: ConsumerProgress) => new BatchConsumers(kafka, producer, progress, options.service),
          inject: [KAFKA, ContractProducer, ConsumerProgress],
        },
        {
          provide: KafkaBatchTransport,
          useFactory: (consumers: BatchConsumers, progress: ConsumerProgress) => new KafkaBatchTransport(consumers, options.partitionsConsumedConcurrently ?? {}, progress),
          inject: [BatchConsumers, ConsumerProgress],
        },
        {
          provide: TableReader,
          useFactory: (kafka: Kafka, consumers: BatchConsumers) => new TableReader(kafka, consumers, options.service),
          inject: [KAFKA, BatchConsumers],
        },
        KafkaLifecycle,
      ],
      exports: [KAFKA, ContractProducer, BatchConsumers, KafkaBatchTransport, TableReader, KafkaHealth, ConsumerProgress],
    };
  }
}
