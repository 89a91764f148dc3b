import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  SINK_MICROSOFT_ADS_PORT: env.port(3004),
});
export type SinkMicrosoftConfig = z.infer<typeof configSchema>;
