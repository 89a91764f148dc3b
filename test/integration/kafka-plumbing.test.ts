import { Test } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { DeadLetterHeaders, TopicSpec, deadLetterTopic } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, ContractViolation, KafkaModule, ReceivedMessage, ensureTopics } from '@audience-sync/kafka';
import { eventually, testBrokers, uniqueName } from '../support/env';

const schema = z.object({ n: z.number().int() });

function testTopic(): TopicSpec<typeof schema> {
  return { name: `${uniqueName('plumbing')}.v1`, schema, partitions: 1, cleanupPolicy: 'delete', tombstones: false, key: 'none', writer: 'identifier-hasher', readers: [], retentionMs: 3_600_000, personalData: false };
}

describe('Kafka plumbing on a real broker', () => {
  let app: INestApplication;
  let raw: Kafka;
  const topic = testTopic();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'identifier-hasher', brokers: testBrokers(), topics: [topic] })],
    }).compile();
    app = moduleRef.createNestApplication();
    app.enableShutdownHooks();
    await app.init();
    raw = new Kafka({ clientId: 'test-raw', brokers: testBrokers(), logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await app.close();
  });

  async function committedOffset(groupId: string, topicName = topic.name): Promise<string> {
    const admin = raw.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topicName] });
      return entry.partitions[0].offset;
    } finally {
      await admin.disconnect();
    }
  }

  it('round-trips valid messages in batches and commits after the handler succeeded', async () => {
    const producer = app.get(ContractProducer);
    const groupId = uniqueName('group-ok');
    const seen: number[] = [];
    let batches = 0;
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic,
      handle: async (messages: ReceivedMessage<{ n: number }>[]) => {
        batches += 1;
        seen.push(...messages.map((m) => m.value.n));
      },
    });
    await producer.send(topic, Array.from({ length: 50 }, (_, n) => ({ key: null, value: { n } })));
    await consumer.start();
    await eventually(() => seen.length >= 50, 20000, '50 messages');
    expect(seen).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(batches).toBeLessThan(50);
    await eventually(async () => (await committedOffset(groupId)) === '50', 10000, 'offset 50 committed');
    await consumer.stop();
  });

  it('dead-letters a poison message with its reason and goes on with the next good one', async () => {
    const groupId = uniqueName('group-dlq');
    const poisonTopic = testTopic();
    await app.get(ContractProducer).connect();
    const admin = raw.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: poisonTopic.name, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = raw.producer();
    await producer.connect();
    await producer.send({
      topic: poisonTopic.name,
      messages: [{ value: JSON.stringify({ n: 1 }) }, { value: 'not json' }, { value: JSON.stringify({ n: 'two' }) }, { value: JSON.stringify({ n: 3 }) }],
    });
    await producer.disconnect();

    const dlq: { reason: string; offset: string }[] = [];
    const dlqConsumer = raw.consumer({ groupId: uniqueName('dlq-reader') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: deadLetterTopic('identifier-hasher').name, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.[DeadLetterHeaders.sourceTopic]?.toString() !== poisonTopic.name) return;
        dlq.push({ reason: message.headers[DeadLetterHeaders.reason]!.toString(), offset: message.headers[DeadLetterHeaders.sourceOffset]!.toString() });
      },
    });

    const seen: number[] = [];
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic: poisonTopic,
      handle: async (messages: ReceivedMessage<{ n: number }>[]) => {
        seen.push(...messages.map((m) => m.value.n));
      },
    });
    await consumer.start();
    await eventually(() => seen.length >= 2 && dlq.length >= 2, 20000, 'good messages and dead letters');
    expect(seen).toEqual([1, 3]);
    expect(dlq).toEqual([
      { offset: '1', reason: 'value is not valid JSON' },
      { offset: '2', reason: expect.stringMatching(/^schema .*: n: Invalid input: expected number/) },
    ]);
    expect(dlq[1].reason).not.toContain('two');
    await consumer.stop();
    await dlqConsumer.disconnect();
  });

  it('leaves a failed batch uncommitted and processes it again', async () => {
    const failTopic = testTopic();
    const groupId = uniqueName('group-retry');
    const producer = app.get(ContractProducer);
    await ensureTopics(raw, [failTopic]);
    await producer.send(failTopic, [{ key: null, value: { n: 7 } }]);
    let attempts = 0;
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic: failTopic,
      handle: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('downstream unavailable');
      },
    });
    await consumer.start();
    await eventually(() => attempts >= 2, 30000, 'a second attempt');
    await eventually(async () => (await committedOffset(groupId, failTopic.name)) === '1', 10000, 'commit after the retry');
    await consumer.stop();
  });

  it('after a failed batch the committed offset is exactly its first one: nothing past it is skipped, the same batch comes again', async () => {
    const failTopic = testTopic();
    const groupId = uniqueName('group-failed-offset');
    const producer = app.get(ContractProducer);
    await ensureTopics(raw, [failTopic]);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    let failing = false;
    const failed: { first: string; values: number[] }[] = [];
    const handled: number[] = [];
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic: failTopic,
      handle: async (messages: ReceivedMessage<{ n: number }>[]) => {
        if (failing) {
          failed.push({ first: messages[0].offset, values: messages.map((m) => m.value.n) });
          throw new Error('downstream unavailable');
        }
        handled.push(...messages.map((m) => m.value.n));
      },
    });
    await producer.send(failTopic, range(0, 5).map((n) => ({ key: null, value: { n } })));
    await consumer.start();
    await eventually(async () => (await committedOffset(groupId, failTopic.name)) === '5', 20000, 'the first five committed');

    failing = true;
    await producer.send(failTopic, range(5, 10).map((n) => ({ key: null, value: { n } })));
    await eventually(() => failed.length >= 2, 30000, 'the failed batch delivered again');
    expect(failed.slice(0, 2)).toEqual([
      { first: '5', values: range(5, 10) },
      { first: '5', values: range(5, 10) },
    ]);
    expect(await committedOffset(groupId, failTopic.name)).toBe('5');

    failing = false;
    await eventually(async () => (await committedOffset(groupId, failTopic.name)) === '10', 30000, 'the batch committed once it succeeded');
    expect(handled).toEqual(range(0, 10));
    await consumer.stop();
  });

  it('on shutdown, lets the in-flight batch finish within the grace period and commits it', async () => {
    const slowTopic = testTopic();
    const groupId = uniqueName('group-grace');
    await ensureTopics(raw, [slowTopic]);
    await app.get(ContractProducer).send(slowTopic, [1, 2, 3].map((n) => ({ key: null, value: { n } })));
    let started = false;
    let finish: () => void = () => undefined;
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic: slowTopic,
      shutdownGraceMs: 60000,
      handle: async (_messages, ctx) => {
        started = true;
        await new Promise<void>((resolve) => (finish = resolve));
        if (ctx.signal.aborted) throw new Error('abandoned');
      },
    });
    await consumer.start();
    await eventually(() => started, 20000, 'the batch to start');
    // Shutdown begins while the batch is still being handled; it ends well inside the grace period.
    const stopped = consumer.stop();
    finish();
    await stopped;
    expect(await committedOffset(groupId, slowTopic.name)).toBe('3');
  });

  it('abandons the in-flight batch on shutdown without committing it', async () => {
    const slowTopic = testTopic();
    const groupId = uniqueName('group-abandon');
    await ensureTopics(raw, [slowTopic]);
    await app.get(ContractProducer).send(slowTopic, [{ key: null, value: { n: 1 } }]);
    let started = false;
    let aborted = false;
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic: slowTopic,
      shutdownGraceMs: 300,
      handle: async (_messages, ctx) => {
        started = true;
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        aborted = true;
      },
    });
    await consumer.start();
    await eventually(() => started, 20000, 'the batch to start');
    await consumer.stop();
    expect(aborted).toBe(true);
    expect(await committedOffset(groupId, slowTopic.name)).toBe('-1');
  });

  it('refuses to produce a message that breaks its topic contract', async () => {
    await expect(app.get(ContractProducer).send(topic, [{ key: null, value: { n: 'x' } as never }])).rejects.toBeInstanceOf(ContractViolation);
    await expect(app.get(ContractProducer).send(topic, [{ key: 'k', value: null }])).rejects.toThrow(/tombstones/);
  });
});
