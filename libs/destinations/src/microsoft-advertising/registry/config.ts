import { z } from 'zod';
import { env } from '@audience-sync/config';

const schema = z.object({
  MICROSOFT_OAUTH_BASE_URL: env.url().default('https://login.microsoftonline.com/common/oauth2/v2.0'),
  MICROSOFT_CLIENT_ID: z.string().min(1).default('emulator-client-id').describe('the Microsoft identity platform application (client) id'),
  MICROSOFT_CLIENT_SECRET: env.secret(8).default('emulator-client-secret'),
});

/** The registry's environment for the Microsoft identity platform application it signs in with. */
export const microsoftRegistryConfig = schema.shape;
export type MicrosoftRegistryConfig = z.infer<typeof schema>;
