import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { KafkaSecurity, saslOptions } from './kafka-security';

export interface KafkaConnectionOptions {
  clientId: string;
  brokers: string[];
  /** SASL and TLS; none for a broker without authentication (local tests). */
  security?: KafkaSecurity;
}

const levels: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own log lines go through Nest's logger. */
export function createKafka({ clientId, brokers, security }: KafkaConnectionOptions, retries = 8): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId,
    brokers,
    sasl: saslOptions(security),
    ssl: security?.ssl ?? false,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries, initialRetryTime: 300, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const logger = new Logger(`kafkajs:${entry.namespace}`);
      const { message, error } = entry.log;
      const method = levels[entry.level] ?? 'log';
      logger[method](error ? `${message}: ${error}` : message);
    },
  });
}
