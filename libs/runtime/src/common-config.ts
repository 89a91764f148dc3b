import { env } from '@audience-sync/config';
import { topicConfig } from '@audience-sync/kafka';

/** Variables every service reads. */
export const commonConfig = {
  KAFKA_BROKERS: env.brokers(),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  ...topicConfig,
};
