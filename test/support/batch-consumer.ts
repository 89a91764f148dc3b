import { INestApplication } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ServiceName, TopicSpec } from '@audience-sync/contracts';
import { BatchConsumer, BatchConsumerOptions, ConsumerProgress, ContractProducer, KAFKA } from '@audience-sync/kafka';

/**
 * The consumer under KafkaBatchTransport, built from the app's Kafka client, producer and
 * readiness, so a test drives one handler's consumer (start, stop, failures) on its own.
 */
export function batchConsumer<T extends TopicSpec>(app: INestApplication, service: ServiceName, options: Omit<BatchConsumerOptions<T>, 'service'>): BatchConsumer<T> {
  return new BatchConsumer(app.get<Kafka>(KAFKA), app.get(ContractProducer), { ...options, service }, app.get(ConsumerProgress));
}
