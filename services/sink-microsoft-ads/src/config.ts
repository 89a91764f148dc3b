import { z } from 'zod';
import { env } from '@audience-sync/config';
import { sinkConfig } from '@audience-sync/delivery';
import { microsoftAdvertisingDelivery } from '@audience-sync/destinations';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  ...sinkConfig,
  ...microsoftAdvertisingDelivery.env,
  SINK_MICROSOFT_ADS_PORT: env.port(3004),
  SINK_MICROSOFT_CONCURRENCY: env.positiveInt(3),
});
export type SinkMicrosoftConfig = z.infer<typeof configSchema>;
