import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  HASHER_PORT: env.port(3002),
});
export type HasherConfig = z.infer<typeof configSchema>;
