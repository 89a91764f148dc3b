import { Kafka, Partitioners, PartitionMetadata } from 'kafkajs';

/** How many partitions a topic has now (it exists: the service's start-up made sure of it). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The partition of a key among `count`, as Kafka's default partitioner gives it (murmur2, the same
 * in kafkajs and the Java clients): where any producer's record with that key lands.
 */
export function keyPartitioner(count: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata);
  return (key) => partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
