import { z } from 'zod';
import { env } from '@audience-sync/config';
import { sinkConfig } from '@audience-sync/delivery';
import { destinations } from '@audience-sync/destinations';
import { commonConfig } from '@audience-sync/runtime';

const { delivery } = destinations['facebook-ads'];

export const configSchema = z.object({
  ...commonConfig,
  ...sinkConfig,
  ...delivery.env,
  SINK_FACEBOOK_PORT: env.port(3003),
  SINK_FACEBOOK_CONCURRENCY: env.positiveInt(3),
});
export type SinkFacebookConfig = z.infer<typeof configSchema>;
