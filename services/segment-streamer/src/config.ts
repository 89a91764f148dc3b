import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  STREAMER_PORT: env.port(3001),
  MONGODB_URI: env.mongoUri(),
});
export type StreamerConfig = z.infer<typeof configSchema>;
