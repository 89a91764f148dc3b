import { ConfigError } from '@audience-sync/config';
import { kafkaSecurityFromEnv } from './kafka-security';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    kafkaSecurityFromEnv('svc', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('kafkaSecurityFromEnv', () => {
  it('is no SASL and no TLS when nothing is set', () => {
    expect(kafkaSecurityFromEnv('svc', {})).toEqual({ sasl: undefined, ssl: false });
  });

  it('reads the mechanism, the user, the password and TLS', () => {
    const env = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'identifier-hasher', KAFKA_SASL_PASSWORD: 'p4ss', KAFKA_SSL: 'true' };
    expect(kafkaSecurityFromEnv('svc', env)).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'identifier-hasher', password: 'p4ss' }, ssl: true });
  });

  it('names each missing credential when a mechanism is set, never echoing the values', () => {
    const found = problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'someone-secret-looking' });
    expect(found).toEqual([expect.stringMatching(/^KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM is set/)]);
    expect(found.join()).not.toContain('someone-secret-looking');
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: '' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_USERNAME: is required/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD: is required/),
    ]);
  });

  it('refuses credentials without a mechanism rather than connect unauthenticated', () => {
    expect(problems({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' })).toEqual([expect.stringMatching(/^KAFKA_SASL_MECHANISM: is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set/)]);
  });

  it('refuses an unknown mechanism and a non-boolean KAFKA_SSL', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL: 'yes' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM: .*one of scram-sha-256, scram-sha-512, plain/),
      expect.stringMatching(/^KAFKA_SSL: .*true to connect with TLS, or false/),
    ]);
  });
});
