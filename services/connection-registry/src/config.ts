import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  REGISTRY_PORT: env.port(3000),
  MONGODB_URI: env.mongoUri(),
});
export type RegistryConfig = z.infer<typeof configSchema>;
