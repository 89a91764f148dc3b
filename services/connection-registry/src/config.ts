import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { topicConfig } from '@audience-sync/kafka';

const apiKeys = z
  .string()
  .transform((s) => s.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[\w.@-]+:(administrator|contributor):\S{24,}$/, 'each entry must be name:administrator|contributor:key with a key of at least 24 characters')
          .transform((entry) => {
            const [name, role, ...rest] = entry.split(':');
            return { name, role: role as 'administrator' | 'contributor', key: rest.join(':') };
          }),
      )
      .min(1),
  )
  .describe('comma-separated name:role:key entries, role administrator or contributor, keys of 24+ characters');

const encryptionKeys = z
  .string()
  .transform((s) => s.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[\w-]+:[A-Za-z0-9+/=]+$/, 'each entry must be keyId:base64key')
          .transform((entry) => {
            const [id, key] = entry.split(':');
            return { id, key: Buffer.from(key, 'base64') };
          })
          .refine((k) => k.key.length === 32, 'each key must be 32 bytes (base64 of 32 random bytes)'),
      )
      .min(1),
  )
  .describe('comma-separated keyId:base64(32 bytes) entries; the first encrypts, all decrypt (rotation)');

export const configSchema = z.object({
  ...commonConfig,
  ...topicConfig,
  REGISTRY_PORT: env.port(3000),
  MONGODB_URI: env.mongoUri(),
  REGISTRY_API_KEYS: apiKeys,
  INTERNAL_API_TOKEN: env.secret(24),
  CREDENTIALS_ENCRYPTION_KEYS: encryptionKeys,
  REGISTRY_PUBLIC_URL: env.url().default('http://127.0.0.1:3000'),
  FACEBOOK_GRAPH_BASE_URL: env.url().default('https://graph.facebook.com/v24.0'),
  FACEBOOK_DIALOG_BASE_URL: env.url().default('https://www.facebook.com/v24.0/dialog/oauth'),
  FACEBOOK_APP_ID: z.string().min(1).default('emulator-app-id').describe('the Facebook app id'),
  FACEBOOK_APP_SECRET: env.secret(8).default('emulator-app-secret'),
  MICROSOFT_OAUTH_BASE_URL: env.url().default('https://login.microsoftonline.com/common/oauth2/v2.0'),
  MICROSOFT_CLIENT_ID: z.string().min(1).default('emulator-client-id').describe('the Microsoft identity platform application (client) id'),
  MICROSOFT_CLIENT_SECRET: env.secret(8).default('emulator-client-secret'),
  OAUTH_STATE_TTL_SECONDS: env.positiveInt(600),
});
export type RegistryConfig = z.infer<typeof configSchema>;
