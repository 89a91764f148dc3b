import { z } from 'zod';
import { SASLOptions } from 'kafkajs';
import { env, loadConfig } from '@audience-sync/config';

export const saslMechanisms = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

/** How a client proves who it is to the brokers; no SASL means an unauthenticated listener. */
export interface KafkaSecurity {
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  ssl: boolean;
}

/**
 * The environment of a Kafka client's authentication; every service spreads it into its config
 * schema (so a malformed value stops it at start-up), and KafkaModule reads it for its clients.
 */
export const kafkaSecurityConfig = {
  KAFKA_SASL_MECHANISM: z.enum(saslMechanisms).optional().describe('one of scram-sha-256, scram-sha-512, plain; unset for a broker without authentication'),
  KAFKA_SASL_USERNAME: z.string().optional().describe("the service's Kafka user, e.g. identifier-hasher"),
  KAFKA_SASL_PASSWORD: z.string().optional().describe("the Kafka user's password"),
  // Optional in the parsed config (unset: false), so configs built in code need not name it.
  KAFKA_SSL: env.bool(false).optional().describe('true to connect with TLS, or false'),
};

/**
 * The schema with the rules that span variables: a mechanism needs a user and a password, and a
 * user or password without a mechanism would silently connect unauthenticated.
 */
const securitySchema = z.object(kafkaSecurityConfig).superRefine((v, ctx) => {
  if (v.KAFKA_SASL_MECHANISM) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (!v[name]) ctx.addIssue({ code: 'custom', path: [name], message: `is required when KAFKA_SASL_MECHANISM is set (${v.KAFKA_SASL_MECHANISM})` });
    }
  } else if (v.KAFKA_SASL_USERNAME || v.KAFKA_SASL_PASSWORD) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_MECHANISM'], message: 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set; set it to the mechanism the broker offers' });
  }
});

/** Reads KAFKA_SASL_* and KAFKA_SSL; a bad combination throws a ConfigError naming the variable (never its value). */
export function kafkaSecurityFromEnv(who: string, source: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const v = loadConfig(who, securitySchema, source);
  const sasl = v.KAFKA_SASL_MECHANISM ? { mechanism: v.KAFKA_SASL_MECHANISM, username: v.KAFKA_SASL_USERNAME!, password: v.KAFKA_SASL_PASSWORD! } : undefined;
  return { sasl, ssl: v.KAFKA_SSL ?? false };
}

/** kafkajs's form; its union type wants the mechanism narrowed, which the three share anyway. */
export function saslOptions(security: KafkaSecurity | undefined): SASLOptions | undefined {
  return security?.sasl as SASLOptions | undefined;
}
