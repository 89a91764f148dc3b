import { z } from 'zod';
import { env } from '@audience-sync/config';
import { sinkConfig } from '@audience-sync/delivery';
import { destinations } from '@audience-sync/destinations';
import { commonConfig } from '@audience-sync/runtime';

const { delivery } = destinations['microsoft-advertising'];

export const configSchema = z.object({
  ...commonConfig,
  ...sinkConfig,
  ...delivery.env,
  SINK_MICROSOFT_ADS_PORT: env.port(3004),
  SINK_MICROSOFT_CONCURRENCY: env.positiveInt(3),
});
export type SinkMicrosoftConfig = z.infer<typeof configSchema>;
