import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { topicConfig } from '@audience-sync/kafka';

export const configSchema = z.object({
  ...commonConfig,
  ...topicConfig,
  SINK_FACEBOOK_PORT: env.port(3003),
  FACEBOOK_GRAPH_BASE_URL: env.url().default('https://graph.facebook.com/v24.0'),
  /** When set, every call carries appsecret_proof (needed when the app requires it). */
  FACEBOOK_APP_SECRET: z.string().min(8).optional().describe('the Facebook app secret, for appsecret_proof'),
  REGISTRY_INTERNAL_URL: env.url().default('http://127.0.0.1:3000'),
  INTERNAL_API_TOKEN: env.secret(24),
  SINK_MAX_ATTEMPTS: env.positiveInt(8),
  SINK_BACKOFF_BASE_MS: env.positiveInt(500),
  SINK_BACKOFF_MAX_MS: env.positiveInt(30000),
  /** Longest single wait on a rate limit before trying again. */
  FACEBOOK_RATE_LIMIT_MAX_WAIT_MS: env.positiveInt(15 * 60 * 1000),
  SINK_FACEBOOK_CONCURRENCY: env.positiveInt(3),
});
export type SinkFacebookConfig = z.infer<typeof configSchema>;
