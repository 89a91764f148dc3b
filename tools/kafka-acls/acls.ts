import { AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { deadLetterTopic, ServiceName, serviceNames, Topics, TopicSpec } from '@audience-sync/contracts';
import { keepsSettingsOf } from '@audience-sync/kafka';

/** A Kafka user: each service, and `upstream` for the CDP that writes the pipeline's input. */
export type KafkaPrincipal = ServiceName | 'upstream';
export const principals: KafkaPrincipal[] = [...serviceNames, 'upstream'];

export type AclOperation = 'read' | 'write' | 'describe' | 'create' | 'alter-configs' | 'idempotent-write';

/** One ALLOW rule, in words; `toAclEntry` makes the kafkajs form. */
export interface AclBinding {
  principal: string;
  resource: 'topic' | 'group' | 'cluster' | 'transactional-id';
  /** Literal: exactly this name; prefixed: every name that starts with it. */
  pattern: 'literal' | 'prefixed';
  name: string;
  operation: AclOperation;
}

const allTopics: Record<string, TopicSpec> = Topics;

/** Topics a principal writes: those the table names it the writer of, and its own dead letters. */
export function writes(principal: KafkaPrincipal): TopicSpec[] {
  const table = Object.values(allTopics).filter((t) => t.writer === principal);
  return principal === 'upstream' ? table : [...table, deadLetterTopic(principal)];
}

export function reads(principal: KafkaPrincipal): TopicSpec[] {
  return Object.values(allTopics).filter((t) => t.readers.includes(principal as ServiceName));
}

/**
 * What one user may do, and nothing more: write (and describe) the topics it writes, read (and
 * describe) those it reads, in consumer groups named after it (`<service>` and `<service>.…`:
 * table readers add a random suffix); create any topic it uses, as every service sets up its
 * topics at start-up, and alter the settings only of those it keeps (keepsSettingsOf);
 * IdempotentWrite on the cluster, as every producer is idempotent; transactional ids named after
 * it (`<service>.…`) when it writes a topic in transactions.
 */
export function aclsFor(principal: KafkaPrincipal): AclBinding[] {
  const user = `User:${principal}`;
  const topic = (name: string, operation: AclOperation): AclBinding => ({ principal: user, resource: 'topic', pattern: 'literal', name, operation });
  const bindings: AclBinding[] = [];
  for (const t of writes(principal)) bindings.push(topic(t.name, 'write'), topic(t.name, 'describe'));
  for (const t of reads(principal)) bindings.push(topic(t.name, 'read'), topic(t.name, 'describe'));
  if (principal !== 'upstream') {
    for (const t of [...writes(principal), ...reads(principal)]) {
      bindings.push(topic(t.name, 'create'));
      if (keepsSettingsOf(principal, t)) bindings.push(topic(t.name, 'alter-configs'));
    }
    if (reads(principal).length > 0) {
      bindings.push({ principal: user, resource: 'group', pattern: 'literal', name: principal, operation: 'read' });
      bindings.push({ principal: user, resource: 'group', pattern: 'prefixed', name: `${principal}.`, operation: 'read' });
    }
  }
  if (writes(principal).some((t) => t.transactional)) {
    for (const operation of ['write', 'describe'] as const) bindings.push({ principal: user, resource: 'transactional-id', pattern: 'prefixed', name: `${principal}.`, operation });
  }
  bindings.push({ principal: user, resource: 'cluster', pattern: 'literal', name: 'kafka-cluster', operation: 'idempotent-write' });
  return unique(bindings);
}

function unique(bindings: AclBinding[]): AclBinding[] {
  return [...new Map(bindings.map((b) => [describeAcl(b), b])).values()];
}

/** One line per rule, for the operator; nothing secret is in a rule. */
export function describeAcl(b: AclBinding): string {
  return `${b.principal} may ${b.operation} ${b.resource} ${b.name}${b.pattern === 'prefixed' ? '*' : ''}`;
}

const operations: Record<AclOperation, AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  create: AclOperationTypes.CREATE,
  'alter-configs': AclOperationTypes.ALTER_CONFIGS,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};

const resources = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, cluster: AclResourceTypes.CLUSTER, 'transactional-id': AclResourceTypes.TRANSACTIONAL_ID };

export function toAclEntry(b: AclBinding): AclEntry {
  return {
    principal: b.principal,
    host: '*',
    resourceType: resources[b.resource],
    resourceName: b.name,
    resourcePatternType: b.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    operation: operations[b.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}
