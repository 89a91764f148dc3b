import { Logger } from '@nestjs/common';
import { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { TopicSpec } from '@audience-sync/contracts';

const logger = new Logger('TopicAdmin');

/**
 * Creates the topics a service uses, with their partition count and cleanup policy, if they do
 * not exist yet. Topics are never auto-created: a kafkajs consumer throws once on a topic that
 * KRaft auto-creates under it.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], replicationFactor = 1): Promise<void> {
  const unique = [...new Map(specs.map((s) => [s.name, s])).values()];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = unique.filter((s) => !existing.has(s.name));
    if (missing.length > 0) await create(admin, missing, replicationFactor);
    const present = unique.filter((s) => existing.has(s.name));
    if (present.length > 0) await admin.alterConfigs({ validateOnly: false, resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configEntries: configEntries(s) })) });
    await waitForLeaders(admin, unique.map((s) => s.name));
  } finally {
    await admin.disconnect();
  }
}

/** A topic's settings from its spec; applied at creation and kept in step on every start. */
function configEntries(s: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: s.cleanupPolicy },
    ...(s.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }] : []),
    ...(s.cleanupPolicy === 'compact' ? [{ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: '3600000' }] : []),
  ];
}

/** Another service may be creating the same topics at the same moment: "already exists" is fine. */
async function create(admin: Admin, missing: TopicSpec[], replicationFactor: number): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: configEntries(s),
      })),
    });
    logger.log(`created topics ${missing.map((s) => `${s.name} (${s.partitions} partitions, ${s.cleanupPolicy})`).join(', ')}`);
  } catch (error) {
    const errors = (error as { errors?: { type?: string }[] }).errors;
    if (!errors?.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw error;
  }
}

/** Subscribing before every partition has a leader fails; topics just made elsewhere may not yet. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
