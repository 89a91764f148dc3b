import { env } from '@audience-sync/config';
import { kafkaSecurityConfig, topicConfig } from '@audience-sync/kafka';
import { logFormat } from './logging';

/** Variables every service reads. */
export const commonConfig = {
  KAFKA_BROKERS: env.brokers(),
  ...kafkaSecurityConfig,
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  LOG_FORMAT: logFormat(),
  ...topicConfig,
};
