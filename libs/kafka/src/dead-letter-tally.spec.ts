import { Logger } from '@nestjs/common';
import { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { TopicSpec } from '@audience-sync/contracts';
import { DeadLetterTally } from './dead-letter-tally';
import { BatchConsumer } from './batch-consumer';
import { ContractProducer } from './contract-producer';
import { ConsumerProgress } from './kafka-health';

describe('DeadLetterTally', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports one line per interval with counts by topic and reason', () => {
    const lines: string[] = [];
    const tally = new DeadLetterTally((l) => lines.push(l), 60000);
    tally.add('a.v1', ['value is not valid JSON', 'schema a.v1: email: Invalid', 'value is not valid JSON']);
    tally.add('b.v1', ['value is not valid JSON']);
    expect(lines).toEqual([]);
    jest.advanceTimersByTime(60000);
    expect(lines).toEqual([
      'dead-lettered 4 message(s) within 60 s, by source topic and reason: a.v1: 3 (2 × value is not valid JSON; 1 × schema a.v1: email: Invalid) | b.v1: 1 (1 × value is not valid JSON); the dead-letter topic holds them with the reason, partition and offset in headers',
    ]);
    jest.advanceTimersByTime(600000);
    expect(lines).toHaveLength(1);
  });

  it('lists at most ten reasons and counts the rest together; flush reports what is left, once', () => {
    const lines: string[] = [];
    const tally = new DeadLetterTally((l) => lines.push(l));
    tally.add('t', Array.from({ length: 13 }, (_, i) => `reason ${i}`));
    tally.flush();
    tally.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('t: 13 (');
    expect(lines[0]).toContain('3 × 3 other reasons');
    expect(lines[0]).not.toContain('reason 12');
  });
});

describe('BatchConsumer dead letters', () => {
  const topic: TopicSpec = { name: 'in.v1', schema: z.object({ n: z.number() }), partitions: 1, cleanupPolicy: 'delete', tombstones: false, key: 'k', writer: 'upstream', readers: [], retentionMs: 1, personalData: false };

  function message(offset: number, value: string): KafkaMessage {
    return { key: Buffer.from('k'), value: Buffer.from(value), offset: String(offset), timestamp: '0', attributes: 0, headers: {} } as KafkaMessage;
  }

  it('logs one summary for a batch of rejected messages, without their content or offsets', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let eachBatch!: (payload: EachBatchPayload) => Promise<void>;
    const consumer = {
      events: {},
      on: () => undefined,
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async (config: { eachBatch: typeof eachBatch }) => void (eachBatch = config.eachBatch),
      commitOffsets: async () => undefined,
      disconnect: async () => undefined,
    };
    const sent: unknown[] = [];
    const producer = { sendRaw: async (_: string, messages: unknown[]) => void sent.push(...messages) } as unknown as ContractProducer;
    const deadLetters: unknown[] = [];
    const progress = { batchSucceeded: () => undefined, released: () => undefined, lagged: () => undefined, deadLetter: (...counted: unknown[]) => void deadLetters.push(counted) } as unknown as ConsumerProgress;
    const kafka = { consumer: () => consumer } as unknown as Kafka;
    const batchConsumer = new BatchConsumer(kafka, producer, { service: 'identifier-hasher', groupId: 'g', topic, handle: async () => undefined }, progress);
    await batchConsumer.start();
    const messages = [message(7, '{"n":1}'), message(8, 'alice@example.com'), message(9, '{"n":"bob@example.com"}'), message(10, 'not json either')];
    await eachBatch({
      batch: { topic: topic.name, partition: 0, messages, firstOffset: () => '7', lastOffset: () => '10', offsetLag: () => '0' },
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
    } as unknown as EachBatchPayload);
    expect(sent).toHaveLength(3);
    // Counted for metrics by a bounded reason, never the reason's text.
    expect(deadLetters).toEqual([['g', topic.name, 'not-json', 2], ['g', topic.name, 'schema', 1]]);
    expect(warn).not.toHaveBeenCalled();
    await batchConsumer.stop();
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0][0]);
    expect(line).toMatch(/^dead-lettered 3 message\(s\) .*in\.v1: 3 \(2 × value is not valid JSON; 1 × schema in\.v1: n: /);
    expect(line).not.toMatch(/example\.com|not json|@8|@9/);
    warn.mockRestore();
  });
});
