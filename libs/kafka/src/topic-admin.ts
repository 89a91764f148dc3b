import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
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
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: [
          { name: 'cleanup.policy', value: s.cleanupPolicy },
          ...(s.cleanupPolicy === 'compact' ? [{ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: '3600000' }] : []),
        ],
      })),
    });
    logger.log(`created topics ${missing.map((s) => `${s.name} (${s.partitions} partitions, ${s.cleanupPolicy})`).join(', ')}`);
  } finally {
    await admin.disconnect();
  }
}
