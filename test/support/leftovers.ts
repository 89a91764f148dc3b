import { Kafka, logLevel } from 'kafkajs';
import { Topics, TopicSpec } from '@audience-sync/contracts';
import { testBrokers } from './env';

/** The services' consumer groups on their input topics: one broker serves every test file. */
export const SERVICE_GROUPS: [string, TopicSpec][] = [
  ['identifier-hasher', Topics.segmentEvents],
  ['segment-streamer', Topics.hashedSegmentEvents],
  ['segment-streamer.runs', Topics.runRequests],
  ['segment-streamer.erasures', Topics.erasureRequests],
  ['sink-facebook', Topics.facebookChanges],
  ['sink-microsoft-ads', Topics.microsoftChanges],
];

/**
 * Moves consumer groups to the end of their topics before a test starts the services, so
 * messages earlier test files left behind (for exports of other registries' databases) are not
 * this test's. Explicit offsets: kafkajs' resetOffsets commits -1, which a consumer reading from
 * the beginning takes as the beginning. Only while no member of the group runs.
 */
export async function skipLeftovers(groups: [string, TopicSpec][] = SERVICE_GROUPS): Promise<void> {
  const admin = new Kafka({ clientId: 'test-leftovers', brokers: testBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    for (const [groupId, topic] of groups) {
      if (!existing.has(topic.name)) continue;
      const ends = await admin.fetchTopicOffsets(topic.name);
      await admin.setOffsets({ groupId, topic: topic.name, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}
