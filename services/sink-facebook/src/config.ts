import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  SINK_FACEBOOK_PORT: env.port(3003),
});
export type SinkFacebookConfig = z.infer<typeof configSchema>;
