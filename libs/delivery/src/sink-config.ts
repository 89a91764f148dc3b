import { z } from 'zod';
import { env } from '@audience-sync/config';
import { RetryOptions } from './api-client';
import type { ReadBackOptions } from './audience-read-back';

/** Variables every sink host reads, beside the common ones and those of the destination it hosts. */
export const sinkConfig = {
  REGISTRY_INTERNAL_URL: env.url().default('http://127.0.0.1:3000'),
  INTERNAL_API_TOKEN: env.secret(32).describe("this sink's own secret for the registry's internal API (at least 32 characters): the registry's INTERNAL_TOKEN_SINK_<NAME> for this sink"),
  SINK_MAX_ATTEMPTS: env.positiveInt(8),
  SINK_BACKOFF_BASE_MS: env.positiveInt(500),
  SINK_BACKOFF_MAX_MS: env.positiveInt(30000),
  /** After a run, while the platform still reports the audience as processing: how long to wait before reading its size again. */
  AUDIENCE_SIZE_RECHECK_MS: env.positiveInt(30000),
  /** How many times to read again while processing (then the run keeps "processing"; the platform may take hours). */
  AUDIENCE_SIZE_RECHECKS: env.positiveInt(4),
};

/** The values of a set of environment fields, as read. */
export type EnvValues<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;
export type SinkConfig = EnvValues<typeof sinkConfig>;

/** How a sink reads an audience's size back after a run, from its configuration. */
export function readBackOptions(config: SinkConfig): ReadBackOptions {
  return { recheckMs: config.AUDIENCE_SIZE_RECHECK_MS, rechecks: config.AUDIENCE_SIZE_RECHECKS };
}

/** The call loop's retry settings, from a sink's configuration. */
export function retryOptions(config: SinkConfig): RetryOptions {
  return { maxAttempts: config.SINK_MAX_ATTEMPTS, backoff: { baseMs: config.SINK_BACKOFF_BASE_MS, maxMs: config.SINK_BACKOFF_MAX_MS } };
}
