import { Logger } from '@nestjs/common';
import { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { ServiceName, TopicSpec } from '@audience-sync/contracts';

const logger = new Logger('TopicAdmin');

/**
 * Protocol errors that mean "not yet", not "no": on a new KRaft broker the controller knows a
 * topic before the broker serves it, and several services create the same topics at once.
 */
const RETRIABLE_TYPES = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'TOPIC_ALREADY_EXISTS',
  'REQUEST_TIMED_OUT',
  'NOT_CONTROLLER',
]);

export interface EnsureTopicsOptions {
  replicationFactor?: number;
  /** How long to keep retrying errors that a moment's wait resolves. */
  timeoutMs?: number;
  /** The operator's retention for topics that hold plain personal data (PERSONAL_DATA_RETENTION_HOURS), instead of their spec's. */
  personalDataRetentionHours?: number;
  /**
   * The service setting up: it then aligns the settings only of existing topics it keeps (see
   * keepsSettingsOf), which are the ones its Kafka user may alter. Unset: all of them.
   */
  service?: ServiceName;
}

/**
 * Whose settings a service keeps in step: the topics it writes, and the upstream topics it reads
 * (the operator's retention for the CDP's input is set by its reader). Any service may create a
 * missing topic it uses, from the same spec; only these may alter one.
 */
export function keepsSettingsOf(service: ServiceName, spec: TopicSpec): boolean {
  return spec.writer === service || spec.writer === 'upstream';
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Creates the topics a service uses, with their partition count, cleanup policy and retention, if they do
 * not exist yet, keeps existing topics' settings in step, and returns once every partition is
 * served. Topics are never auto-created: a kafkajs consumer throws once on a topic that KRaft
 * auto-creates under it. Retriable errors are retried until the deadline, whatever the order in
 * which services start.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], options: EnsureTopicsOptions = {}): Promise<void> {
  const { replicationFactor = 1, timeoutMs = 60000, personalDataRetentionHours, service } = options;
  const keeps = (spec: TopicSpec) => service === undefined || keepsSettingsOf(service, spec);
  const unique = [...new Map(specs.map((s) => [s.name, withRetention(s, personalDataRetentionHours)])).values()];
  const deadline = Date.now() + timeoutMs;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await setUp(admin, unique, replicationFactor, keeps);
        return;
      } catch (error) {
        const delay = Math.min(200 * 2 ** (attempt - 1), 2000);
        const names = unique.map((s) => s.name).join(', ');
        if (!isRetriable(error)) throw new Error(`could not set up topics ${names}: ${describe(error)}`, { cause: error });
        if (Date.now() + delay > deadline) throw new Error(`topics ${names} were still not ready after ${timeoutMs} ms (${describe(error)}); check that the broker is healthy (its log) and reachable`, { cause: error });
        logger.warn(`topic set-up not done yet (${describe(error)}); attempt ${attempt}, retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Topics holding plain personal data keep it as long as the operator says, when the operator says. */
function withRetention(spec: TopicSpec, personalDataRetentionHours: number | undefined): TopicSpec {
  if (!spec.personalData || personalDataRetentionHours === undefined) return spec;
  return { ...spec, retentionMs: Math.round(personalDataRetentionHours * HOUR_MS) };
}

/** One pass: create what is missing, align the settings of what exists and is kept, wait until all is served. */
async function setUp(admin: Admin, specs: TopicSpec[], replicationFactor: number, keeps: (spec: TopicSpec) => boolean): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) await create(admin, missing, replicationFactor);
  const present = specs.filter((s) => existing.has(s.name) && keeps(s));
  if (present.length > 0) await admin.alterConfigs({ validateOnly: false, resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configEntries: configEntries(s) })) });
  await waitUntilServed(admin, specs.map((s) => s.name));
}

/**
 * A topic's settings from its spec; applied at creation and kept in step on every start. Settings
 * not listed fall back to the broker's defaults on an existing topic (alterConfigs replaces them all).
 */
function configEntries(s: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: s.cleanupPolicy },
    { name: 'retention.ms', value: String(s.retentionMs) },
    ...(s.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }] : []),
    ...(s.cleanupPolicy === 'compact' ? [{ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: '3600000' }] : []),
  ];
}

/**
 * Another service may be creating the same topics at the same moment: "already exists" is
 * fine. kafkajs's own leader wait is off: it gives up on the first "unknown topic", which a
 * broker answers until it has caught up with the controller; waitUntilServed retries instead.
 */
async function create(admin: Admin, missing: TopicSpec[], replicationFactor: number): Promise<void> {
  try {
    const createdAll = await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor, configEntries: configEntries(s) })),
    });
    if (createdAll) logger.log(`created topics ${missing.map((s) => `${s.name} (${s.partitions} partitions, ${s.cleanupPolicy}, retention.ms ${s.retentionMs})`).join(', ')}`);
  } catch (error) {
    const errors = (error as { errors?: { type?: string }[] }).errors;
    if (!errors?.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw error;
  }
}

/**
 * Subscribing or producing before every partition is served fails. A leader in the metadata is
 * not enough: the broker may list the leader before it has opened the partition's log, and
 * answers "not the leader" until then; asking each partition's offsets proves it is open.
 */
async function waitUntilServed(admin: Admin, topics: string[]): Promise<void> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const unserved = metadata.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
  if (unserved.length > 0) throw Object.assign(new Error(`no leader yet for ${unserved.join(', ')}`), { retriable: true });
  for (const topic of topics) await admin.fetchTopicOffsets(topic);
}

/** Retriable kafkajs errors, also when wrapped by kafkajs's own retries or aggregated per topic. */
export function isRetriable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { type?: string; retriable?: boolean; name?: string; errors?: unknown[]; cause?: unknown };
  if (e.type && RETRIABLE_TYPES.has(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isRetriable);
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSNonRetriableError') return isRetriable(e.cause);
  return e.retriable === true;
}

function describe(error: unknown): string {
  const e = error as { message?: string; type?: string; errors?: { message?: string; type?: string }[] };
  const inner = e.errors?.map((x) => x.type ?? x.message).join(', ');
  return `${e.message ?? String(error)}${inner ? ` (${inner})` : ''}`;
}
