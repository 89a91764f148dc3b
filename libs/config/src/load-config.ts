import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service} cannot start: its environment is invalid.\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once against a service's schema. Every offending variable is reported in
 * one error, each with what it expects; values are never echoed since they may be secrets.
 */
export function loadConfig<S extends z.ZodObject>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
    const expectation = (schema.shape[variable as keyof typeof schema.shape] as z.ZodType | undefined)?.description;
    const reason = issue.code === 'invalid_type' && input[variable] === undefined ? 'is required but not set' : issue.message;
    return `${variable}: ${reason}${expectation ? ` (expected ${expectation})` : ''}`;
  });
  throw new ConfigError(service, problems);
}

/** Reusable field types; each carries a description used in error messages. */
export const env = {
  port: (fallback: number) =>
    z.coerce.number().int().min(1).max(65535).default(fallback).describe('a TCP port number from 1 to 65535'),
  brokers: () =>
    z
      .string()
      .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1))
      .describe('a comma-separated list of host:port Kafka brokers, e.g. 127.0.0.1:9092'),
  mongoUri: () =>
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .describe('a MongoDB connection string, e.g. mongodb://127.0.0.1:27017/audience-sync'),
  host: () => z.string().min(1).default('127.0.0.1').describe('an interface address to listen on, e.g. 127.0.0.1 or 0.0.0.0'),
  url: () => z.url().describe('an http(s) URL'),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback).describe('a positive whole number'),
  logLevel: () => z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log').describe('one of error, warn, log, debug, verbose'),
  secret: (minLength: number) => z.string().min(minLength).describe(`a secret of at least ${minLength} characters`),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1')
      .describe('true or false'),
};
