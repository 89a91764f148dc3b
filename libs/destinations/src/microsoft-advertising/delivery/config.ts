import { z } from 'zod';
import { env } from '@audience-sync/config';
import { EnvValues, SinkConfig } from '@audience-sync/delivery';

/** What Microsoft Advertising delivery reads from the environment, beside the sink host's variables. */
export const microsoftDeliveryEnv = {
  MICROSOFT_ADS_BASE_URL: env.url().default('https://campaign.api.bingads.microsoft.com/CampaignManagement/v13'),
  MICROSOFT_DEVELOPER_TOKEN: z.string().min(1).describe('the Microsoft Advertising developer token (sandbox: BBD37VB98)'),
  /** 117 CallRateExceeded counts calls over a sliding minute: wait this long before trying again. */
  MICROSOFT_RATE_LIMIT_WAIT_MS: env.positiveInt(60000),
};

export type MicrosoftDeliveryConfig = SinkConfig & EnvValues<typeof microsoftDeliveryEnv>;
