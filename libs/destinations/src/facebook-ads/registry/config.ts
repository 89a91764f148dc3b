import { z } from 'zod';
import { env } from '@audience-sync/config';

const schema = z.object({
  FACEBOOK_GRAPH_BASE_URL: env.url().default('https://graph.facebook.com/v24.0'),
  FACEBOOK_DIALOG_BASE_URL: env.url().default('https://www.facebook.com/v24.0/dialog/oauth'),
  FACEBOOK_APP_ID: z.string().min(1).default('emulator-app-id').describe('the Facebook app id'),
  FACEBOOK_APP_SECRET: env.secret(8).default('emulator-app-secret'),
});

/** The registry's environment for the Facebook app it signs in with. */
export const facebookRegistryConfig = schema.shape;
export type FacebookRegistryConfig = z.infer<typeof schema>;
