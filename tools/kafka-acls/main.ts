import { Kafka } from 'kafkajs';
import { env, loadConfig } from '@audience-sync/config';
import { createKafka, kafkaSecurityFromEnv } from '@audience-sync/kafka';
import { z } from 'zod';
import { aclsFor, AclBinding, describeAcl, KafkaPrincipal, principals, toAclEntry } from './acls';

/**
 * Grants each Kafka user (a service, or `upstream`) what it needs and no more. Creating an ACL
 * that exists already changes nothing, so running it again after a release is safe; it never
 * removes rules (see the README for listing and removing them).
 */
export async function applyAcls(kafka: Kafka, users: KafkaPrincipal[]): Promise<AclBinding[]> {
  const bindings = users.flatMap(aclsFor);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: bindings.map(toAclEntry) });
  } finally {
    await admin.disconnect();
  }
  return bindings;
}

const usage = `usage: node dist/tools/kafka-acls/main.js [--dry-run] [user ...]
  users: ${principals.join(', ')} (default: all)
  env: KAFKA_BROKERS; KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD of a user
       allowed to alter ACLs (a super user); KAFKA_SSL=true for TLS`;

async function main(args: string[]): Promise<void> {
  const dryRun = args.includes('--dry-run');
  const named = args.filter((a) => a !== '--dry-run');
  const unknown = named.filter((a) => !principals.includes(a as KafkaPrincipal));
  if (unknown.length > 0 || args.includes('--help')) {
    process.stderr.write(`${unknown.length > 0 ? `unknown user(s): ${unknown.join(', ')}\n` : ''}${usage}\n`);
    process.exit(unknown.length > 0 ? 64 : 0);
  }
  const users = named.length > 0 ? (named as KafkaPrincipal[]) : principals;
  if (dryRun) {
    for (const b of users.flatMap(aclsFor)) process.stdout.write(`${describeAcl(b)}\n`);
    return;
  }
  const { KAFKA_BROKERS } = loadConfig('kafka-acls', z.object({ KAFKA_BROKERS: env.brokers() }));
  const kafka = createKafka({ clientId: 'kafka-acls', brokers: KAFKA_BROKERS, security: kafkaSecurityFromEnv('kafka-acls') }, 2);
  const applied = await applyAcls(kafka, users);
  for (const b of applied) process.stdout.write(`allowed: ${describeAcl(b)}\n`);
  process.stdout.write(`${applied.length} ACLs in place for ${users.join(', ')}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`kafka-acls: ${error.message}\n`);
    process.exit(1);
  });
}
