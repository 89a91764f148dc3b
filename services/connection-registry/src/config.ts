import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import type { PipelineStage } from '@audience-sync/contracts';
import { allRegistryParts, DestinationId, registryDestinationConfig } from '@audience-sync/destinations';

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

/** Seconds to wait before each retry of a webhook delivery; one attempt more than there are entries. */
const retrySchedule = z
  .string()
  .default('120,240,480,960')
  .transform((s) => s.split(',').map((entry) => (entry.trim() === '' ? NaN : Number(entry))))
  .pipe(z.array(z.number({ error: 'each entry must be a number of seconds' }).min(0).max(86_400)).min(1).max(20))
  .describe('comma-separated seconds before each retry, e.g. 120,240,480,960 (5 attempts over 30 minutes)');

/** The variable holding a sink's credential for the internal API: `INTERNAL_TOKEN_SINK_FACEBOOK` for sink-facebook. */
export const internalTokenVariable = (service: PipelineStage): InternalTokenVariable => `INTERNAL_TOKEN_${service.toUpperCase().replace(/-/g, '_')}`;
type InternalTokenVariable = `INTERNAL_TOKEN_${string}`;

/**
 * The services that may call the internal API: each destination's sink, for its destination only.
 * The hasher and the streamer never call the registry, so they have no credential.
 */
export const internalCallers: readonly { service: PipelineStage; destination: DestinationId; variable: InternalTokenVariable }[] = allRegistryParts.map((p) => ({
  service: p.sinkStage,
  destination: p.id,
  variable: internalTokenVariable(p.sinkStage),
}));

const internalTokens: Record<InternalTokenVariable, z.ZodString> = Object.fromEntries(internalCallers.map((c) => [c.variable, env.secret(32).describe(`${c.service}'s own secret for the internal API, at least 32 characters, unlike every other credential`)]));

/** The single shared token of earlier versions: refused, so a deployment does not keep believing it is used. */
const retiredSharedToken = z
  .undefined({ error: `is no longer read by the registry: give each sink its own secret in ${internalCallers.map((c) => c.variable).join(' and ')} (each sink keeps reading its own value from INTERNAL_API_TOKEN), then unset it here` })
  .describe('unset');

export const configSchema = z
  .object({
    ...commonConfig,
    REGISTRY_PORT: env.port(3000),
    MONGODB_URI: env.mongoUri(),
    REGISTRY_API_KEYS: apiKeys,
    ...internalTokens,
    INTERNAL_API_TOKEN: retiredSharedToken,
    CREDENTIALS_ENCRYPTION_KEYS: encryptionKeys,
    REGISTRY_PUBLIC_URL: env.url().default('http://127.0.0.1:3000'),
    /** Each destination's app to sign in with (base URLs, client id and secret). */
    ...registryDestinationConfig,
    OAUTH_STATE_TTL_SECONDS: env.positiveInt(600),
    OAUTH_TICKET_TTL_SECONDS: env.positiveInt(300),
    /** How long a console sign-in (POST /session) lasts. */
    CONSOLE_SESSION_HOURS: env.positiveInt(8),
    /** Requests per minute for each API key (by its name), and for each address without a key. */
    REGISTRY_RATE_LIMIT_PER_MINUTE: env.positiveInt(1200),
    WEBHOOK_RETRY_SCHEDULE_SECONDS: retrySchedule,
    /** How often due webhook deliveries are looked for (new events are sent at once). */
    WEBHOOK_POLL_MS: env.positiveInt(5000),
    /** How often connections are checked for a token about to expire or expired. */
    WEBHOOK_EXPIRY_CHECK_MS: env.positiveInt(3_600_000),
  })
  .superRefine((config, ctx) => {
    // A credential shared by two callers could not tell them apart: each must be its own.
    const seen = new Map<string, string>(config.REGISTRY_API_KEYS.map((k) => [k.key, `the API key of ${k.name} in REGISTRY_API_KEYS`]));
    for (const { variable } of internalCallers) {
      const value = internalTokenIn(config, variable);
      const owner = seen.get(value);
      if (owner) ctx.addIssue({ code: 'custom', path: [variable], message: `has the same value as ${owner}; give every caller its own secret` });
      else seen.set(value, variable);
    }
  });
export type RegistryConfig = z.infer<typeof configSchema>;

/** A sink's credential, as configured. */
export function internalToken(config: RegistryConfig, service: PipelineStage): string {
  return internalTokenIn(config, internalTokenVariable(service));
}

// zod's inferred type has no room for variables named at run time (one per destination): read them by name.
function internalTokenIn(config: object, variable: InternalTokenVariable): string {
  return (config as Record<InternalTokenVariable, string>)[variable];
}
