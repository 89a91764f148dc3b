import { z } from 'zod';
import { ConfigError, env, loadConfig } from './load-config';

const schema = z.object({
  KAFKA_BROKERS: env.brokers(),
  PORT: env.port(3000),
  SECRET: env.secret(16),
  FLAG: env.bool(false),
});

describe('loadConfig', () => {
  it('parses, applies defaults and treats empty strings as unset', () => {
    const config = loadConfig('svc', schema, { KAFKA_BROKERS: 'a:1, b:2', PORT: '', SECRET: 'x'.repeat(16), FLAG: 'true' });
    expect(config).toEqual({ KAFKA_BROKERS: ['a:1', 'b:2'], PORT: 3000, SECRET: 'x'.repeat(16), FLAG: true });
  });

  it('reports every offending variable at once without echoing values', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig('svc', schema, { KAFKA_BROKERS: 'nope', PORT: '70000', SECRET: 'short-secret' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(3);
    expect(error!.message).toMatch(/KAFKA_BROKERS: each broker must be host:port/);
    expect(error!.message).toMatch(/PORT: .*expected a TCP port/);
    expect(error!.message).toMatch(/SECRET: .*expected a secret of at least 16 characters/);
    expect(error!.message).not.toContain('short-secret');
  });

  it('says a required variable is missing', () => {
    expect(() => loadConfig('svc', schema, { SECRET: 'x'.repeat(16) })).toThrow(/KAFKA_BROKERS: is required but not set/);
  });
});
