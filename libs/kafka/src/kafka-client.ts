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

/**
 * Broker answers kafkajs logs as errors although it retries them itself and they pass: a
 * transaction begun while the broker still ends the previous one (CONCURRENT_TRANSACTIONS, which
 * the streamer's changelog meets after some commits). Logged at debug; should the retries run
 * out, the send fails and the caller says so.
 */
const RETRIED_BY_KAFKAJS = ['another concurrent operation on the same transaction was ongoing'];

/** The Nest log method for a kafkajs log entry. */
export function logMethod(entry: Pick<LogEntry, 'level' | 'log'>): 'error' | 'warn' | 'log' | 'debug' {
  const error = String(entry.log.error ?? '');
  if (RETRIED_BY_KAFKAJS.some((text) => error.includes(text))) return 'debug';
  return levels[entry.level] ?? 'log';
}

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
      logger[logMethod(entry)](error ? `${message}: ${error}` : message);
    },
  });
}
