import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { MessageOf, ServiceName, TopicSpec } from '@audience-sync/contracts';
import { BatchConsumer, BatchConsumers } from './batch-consumer';

const IDLE_MS = 5000;

/**
 * Reads a compacted topic as a table: every start replays it from the beginning (under a group
 * of its own, never committed) and keeps applying updates. `read` resolves once the rows that
 * existed at start have been applied, so a service that reads its tables in
 * `onApplicationBootstrap` does not act on an empty table: the transport's handlers start after.
 */
export class TableReader implements BeforeApplicationShutdown {
  private readonly consumers: BatchConsumer<TopicSpec>[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly factory: BatchConsumers,
    private readonly service: ServiceName,
  ) {}

  async read<T extends TopicSpec>(topic: T, apply: (key: string, value: MessageOf<T> | null) => Promise<void>): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic.name)).map((p) => [p.partition, BigInt(p.high)]));
    await admin.disconnect();
    const reached = new Map<number, bigint>();
    let lastActivity = Date.now();
    let resolveReady!: () => void;
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const check = () => {
      if ([...ends].every(([partition, high]) => high === 0n || (reached.get(partition) ?? -1n) >= high - 1n)) resolveReady();
    };
    check();
    // Compaction may have removed the last offsets (old tombstones): quiet for a while also counts as caught up.
    const idle = setInterval(() => Date.now() - lastActivity > IDLE_MS && resolveReady(), 500);
    const consumer = this.factory.create({
      groupId: `${this.service}.table.${topic.name}.${randomUUID()}`,
      topic,
      commit: false,
      fromBeginning: true,
      handle: async (messages) => {
        lastActivity = Date.now();
        for (const m of messages) {
          if (m.key) await apply(m.key, m.value as MessageOf<T> | null);
          reached.set(m.partition, BigInt(m.offset));
        }
        check();
      },
    });
    this.consumers.push(consumer as unknown as BatchConsumer<TopicSpec>);
    await consumer.start();
    const started = Date.now();
    await ready;
    clearInterval(idle);
    new Logger('TableReader').log(`${topic.name}: caught up in ${Date.now() - started} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
