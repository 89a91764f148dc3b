import { Kafka, logLevel } from 'kafkajs';
import { Topics, TopicSpec } from '@audience-sync/contracts';
import { eventually, testBrokers } from './env';

/** The pipeline's consumer groups in the order data flows through them. */
export const PIPELINE: [string, TopicSpec][] = [
  ['identifier-hasher', Topics.segmentEvents],
  ['segment-streamer', Topics.hashedSegmentEvents],
  ['sink-facebook', Topics.facebookChanges],
  ['sink-microsoft-ads', Topics.microsoftChanges],
];

/**
 * Waits until each group, in turn, has committed everything on its topic up to the moment its turn
 * came. Each stage commits only after handling (and producing what that causes), so once this
 * returns every stage has handled all the earlier ones made of what was published before: a test
 * can assert that something did NOT happen without waiting for a while and hoping.
 */
export async function drained(groups: [string, TopicSpec][] = PIPELINE, timeoutMs = 60000): Promise<void> {
  const admin = new Kafka({ clientId: 'test-drained', brokers: testBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (const [groupId, topic] of groups) {
      const ends = await admin.fetchTopicOffsets(topic.name);
      await eventually(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic.name] });
          const at = new Map(committed.partitions.map((p) => [p.partition, BigInt(p.offset)]));
          return ends.every((end) => end.high === '0' || (at.get(end.partition) ?? -1n) >= BigInt(end.high));
        },
        timeoutMs,
        `${groupId} to handle everything on ${topic.name}`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}
