import { z } from 'zod';
import { env } from '@audience-sync/config';
import { EnvValues, SinkConfig } from '@audience-sync/delivery';
import { GRAPH_BASE_URL } from '../graph';

/** What Facebook delivery reads from the environment, beside the sink host's variables. */
export const facebookDeliveryEnv = {
  /** Graph's base URL with the API version (see GRAPH_VERSION). */
  FACEBOOK_GRAPH_BASE_URL: env.url().default(GRAPH_BASE_URL),
  /** When set, every call carries appsecret_proof (needed when the app requires it). */
  FACEBOOK_APP_SECRET: z.string().min(8).optional().describe('the Facebook app secret, for appsecret_proof'),
  /** Longest single wait on a rate limit before trying again. */
  FACEBOOK_RATE_LIMIT_MAX_WAIT_MS: env.positiveInt(15 * 60 * 1000),
};

export type FacebookDeliveryConfig = SinkConfig & EnvValues<typeof facebookDeliveryEnv>;
