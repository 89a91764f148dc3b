import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { topicConfig } from '@audience-sync/kafka';

export const configSchema = z.object({
  ...commonConfig,
  ...topicConfig,
  HASHER_PORT: env.port(3002),
});
export type HasherConfig = z.infer<typeof configSchema>;
