import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { topicConfig } from '@audience-sync/kafka';

export const configSchema = z.object({
  ...commonConfig,
  ...topicConfig,
  SINK_MICROSOFT_ADS_PORT: env.port(3004),
  MICROSOFT_ADS_BASE_URL: env.url().default('https://campaign.api.bingads.microsoft.com/CampaignManagement/v13'),
  MICROSOFT_DEVELOPER_TOKEN: z.string().min(1).describe('the Microsoft Advertising developer token (sandbox: BBD37VB98)'),
  REGISTRY_INTERNAL_URL: env.url().default('http://127.0.0.1:3000'),
  INTERNAL_API_TOKEN: env.secret(24),
  SINK_MAX_ATTEMPTS: env.positiveInt(8),
  SINK_BACKOFF_BASE_MS: env.positiveInt(500),
  SINK_BACKOFF_MAX_MS: env.positiveInt(30000),
  /** 117 CallRateExceeded counts calls over a sliding minute: wait this long before trying again. */
  MICROSOFT_RATE_LIMIT_WAIT_MS: env.positiveInt(60000),
  SINK_MICROSOFT_CONCURRENCY: env.positiveInt(3),
});
export type SinkMicrosoftConfig = z.infer<typeof configSchema>;
