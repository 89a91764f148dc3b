import { z } from 'zod';
import { env } from '@audience-sync/config';
import { DIALOG_BASE_URL, GRAPH_BASE_URL } from '../graph';

const schema = z.object({
  /** Graph's base URL and sign-in dialog, each with the API version (see GRAPH_VERSION). */
  FACEBOOK_GRAPH_BASE_URL: env.url().default(GRAPH_BASE_URL),
  FACEBOOK_DIALOG_BASE_URL: env.url().default(DIALOG_BASE_URL),
  FACEBOOK_APP_ID: z.string().min(1).default('emulator-app-id').describe('the Facebook app id'),
  /** Signs the OAuth exchanges and every Graph call's appsecret_proof. */
  FACEBOOK_APP_SECRET: env.secret(8).default('emulator-app-secret'),
});

/** The registry's environment for the Facebook app it signs in with. */
export const facebookRegistryConfig = schema.shape;
export type FacebookRegistryConfig = z.infer<typeof schema>;
