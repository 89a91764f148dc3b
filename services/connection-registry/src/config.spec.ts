import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@audience-sync/config';
import { configSchema, internalToken } from './config';

const secret = () => randomBytes(24).toString('hex');
const base = () => ({
  KAFKA_BROKERS: '127.0.0.1:9092',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/registry',
  REGISTRY_API_KEYS: `alice:administrator:${'a'.repeat(24)}`,
  CREDENTIALS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  INTERNAL_TOKEN_SINK_FACEBOOK: secret(),
  INTERNAL_TOKEN_SINK_MICROSOFT_ADS: secret(),
});
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig('connection-registry', configSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('the registry configuration: one internal credential per sink', () => {
  it('reads each sink its own credential', () => {
    const env = base();
    const config = loadConfig('connection-registry', configSchema, env);
    expect(internalToken(config, 'sink-facebook')).toBe(env.INTERNAL_TOKEN_SINK_FACEBOOK);
    expect(internalToken(config, 'sink-microsoft-ads')).toBe(env.INTERNAL_TOKEN_SINK_MICROSOFT_ADS);
  });

  it('requires both, of at least 32 characters', () => {
    const { INTERNAL_TOKEN_SINK_FACEBOOK: _unset, ...env } = base();
    expect(problemsOf(env)).toEqual([expect.stringMatching(/^INTERNAL_TOKEN_SINK_FACEBOOK: is required but not set \(expected sink-facebook's own secret/)]);
    expect(problemsOf({ ...base(), INTERNAL_TOKEN_SINK_MICROSOFT_ADS: 'x'.repeat(31) })).toEqual([expect.stringMatching(/^INTERNAL_TOKEN_SINK_MICROSOFT_ADS: .*32/)]);
  });

  it('refuses one secret for two callers, naming both, without echoing it', () => {
    const shared = secret();
    const problems = problemsOf({ ...base(), INTERNAL_TOKEN_SINK_FACEBOOK: shared, INTERNAL_TOKEN_SINK_MICROSOFT_ADS: shared });
    expect(problems).toEqual([expect.stringMatching(/^INTERNAL_TOKEN_SINK_MICROSOFT_ADS: has the same value as INTERNAL_TOKEN_SINK_FACEBOOK; give every caller its own secret/)]);
    expect(problems.join()).not.toContain(shared);
    const apiKey = 'k'.repeat(40);
    expect(problemsOf({ ...base(), REGISTRY_API_KEYS: `alice:administrator:${apiKey}`, INTERNAL_TOKEN_SINK_FACEBOOK: apiKey })).toEqual([
      expect.stringMatching(/^INTERNAL_TOKEN_SINK_FACEBOOK: has the same value as the API key of alice in REGISTRY_API_KEYS/),
    ]);
  });

  it('stops on the shared INTERNAL_API_TOKEN of earlier versions, saying what replaces it', () => {
    expect(problemsOf({ ...base(), INTERNAL_API_TOKEN: secret() })).toEqual([
      expect.stringMatching(/^INTERNAL_API_TOKEN: is no longer read by the registry: give each sink its own secret in INTERNAL_TOKEN_SINK_FACEBOOK and INTERNAL_TOKEN_SINK_MICROSOFT_ADS/),
    ]);
  });
});

describe('the registry configuration: console sessions', () => {
  it('last 8 hours unless CONSOLE_SESSION_HOURS says otherwise', () => {
    expect(loadConfig('connection-registry', configSchema, base()).CONSOLE_SESSION_HOURS).toBe(8);
    expect(loadConfig('connection-registry', configSchema, { ...base(), CONSOLE_SESSION_HOURS: '12' }).CONSOLE_SESSION_HOURS).toBe(12);
  });

  it('refuses a CONSOLE_SESSION_HOURS that is not a positive whole number, naming it', () => {
    for (const hours of ['0', '-1', '1.5', 'eight']) expect(problemsOf({ ...base(), CONSOLE_SESSION_HOURS: hours })).toEqual([expect.stringMatching(/^CONSOLE_SESSION_HOURS: /)]);
  });
});
