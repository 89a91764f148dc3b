import { z } from 'zod';
import { env } from '@audience-sync/config';
import { configSchema } from '../config';

/** Settings of the HTTP edge, read with the registry's own (config.ts) so one message names a bad value. */
export const httpConfig = {
  /** Requests per minute for each API key (by its name), and for each address without a key. */
  REGISTRY_RATE_LIMIT_PER_MINUTE: env.positiveInt(1200),
};

export const serviceConfigSchema = configSchema.extend(httpConfig);
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
