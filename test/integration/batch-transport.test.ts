import { Controller, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { DeadLetterHeaders, TopicSpec, deadLetterTopic } from '@audience-sync/contracts';
import { BatchContext, ConsumeBatches, ConsumerProgress, KafkaModule, ReceivedMessage, ensureTopics } from '@audience-sync/kafka';
import { serve } from '@audience-sync/runtime';
import { eventually, testBrokers, uniqueName } from '../support/env';

const schema = z.object({ n: z.number().int() });
const topic: TopicSpec<typeof schema> = { name: `${uniqueName('transport')}.v1`, schema, partitions: 1, cleanupPolicy: 'delete', tombstones: false, key: 'none', writer: 'identifier-hasher', readers: [], retentionMs: 3_600_000, personalData: false };
const groupId = uniqueName('transport-group');

class HandlerFailed extends Error {
  override name = 'HandlerFailed';
}

const seen: { n: number; topic: string }[] = [];
let failuresLeft = 1;

/** Declared the way services declare theirs; fails its first batch once. */
@Controller()
class Probe {
  @ConsumeBatches(topic, { groupId })
  async handle(messages: ReceivedMessage<{ n: number }>[], ctx: BatchContext): Promise<void> {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new HandlerFailed('first try');
    }
    seen.push(...messages.map((m) => ({ n: m.value.n, topic: ctx.topic })));
  }
}

const slowTopic: TopicSpec<typeof schema> = { ...topic, name: `${uniqueName('transport-slow')}.v1` };
const slowGroupId = uniqueName('transport-slow-group');
let entered = false;
let finished = false;

/** Takes a while, so the app closes while its batch is in flight. */
@Controller()
class SlowProbe {
  @ConsumeBatches(slowTopic, { groupId: slowGroupId })
  async handle(): Promise<void> {
    entered = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    finished = true;
  }
}

const txTopic: TopicSpec<typeof schema> = { ...topic, name: `${uniqueName('transport-tx')}.v1` };
const txGroupId = uniqueName('transport-tx-group');
const txSeen: number[] = [];

@Controller()
class TransactionalProbe {
  @ConsumeBatches(txTopic, { groupId: txGroupId })
  async handle(messages: ReceivedMessage<{ n: number }>[]): Promise<void> {
    txSeen.push(...messages.map((m) => m.value.n));
  }
}

describe('KafkaBatchTransport: @ConsumeBatches handlers on a real broker', () => {
  let app: INestApplication | undefined;
  let dlqConsumer: Consumer | undefined;
  const raw = new Kafka({ clientId: 'test-raw', brokers: testBrokers(), logLevel: logLevel.NOTHING });

  afterAll(async () => {
    await app?.close();
    await dlqConsumer?.disconnect();
  });

  it('hands valid batches to the handler, dead-letters a malformed message, retries a failed batch with its error and commits after success', async () => {
    await ensureTopics(raw, [topic, deadLetterTopic('identifier-hasher')]);
    const producer = raw.producer();
    await producer.connect();
    await producer.send({ topic: topic.name, messages: [{ value: JSON.stringify({ n: 1 }) }, { value: 'not json' }, { value: JSON.stringify({ n: 2 }) }] });
    await producer.disconnect();

    const dlq: { reason: string; offset: string; group: string }[] = [];
    dlqConsumer = raw.consumer({ groupId: uniqueName('transport-dlq-reader') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: deadLetterTopic('identifier-hasher').name, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        const h = message.headers ?? {};
        if (h[DeadLetterHeaders.sourceTopic]?.toString() !== topic.name) return;
        dlq.push({ reason: h[DeadLetterHeaders.reason]!.toString(), offset: h[DeadLetterHeaders.sourceOffset]!.toString(), group: h[DeadLetterHeaders.consumerGroup]!.toString() });
      },
    });

    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'identifier-hasher', brokers: testBrokers(), topics: [topic] })],
      controllers: [Probe],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.enableShutdownHooks();
    const failed = jest.spyOn(app.get(ConsumerProgress), 'batchFailed');
    await serve(app, 0, '127.0.0.1');


    await eventually(() => seen.length >= 2 && dlq.length >= 1, 30000, 'both valid messages handled and the malformed one dead-lettered');
    expect(seen).toEqual([
      { n: 1, topic: topic.name },
      { n: 2, topic: topic.name },
    ]);
    // The error reaches the consumer as thrown (not Nest's `{ status, message }`): readiness names its class.
    expect(failed).toHaveBeenCalledWith(groupId, topic.name, 0, '0', expect.any(HandlerFailed));
    // Dead-lettering comes before the handler, so the failed first try may have sent it already.
    expect(new Set(dlq.map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify({ reason: 'value is not valid JSON', offset: '1', group: groupId })]));

    const admin = raw.admin();
    await admin.connect();
    await eventually(async () => (await admin.fetchOffsets({ groupId, topics: [topic.name] }))[0].partitions[0].offset === '3', 10000, 'offset 3 committed');
    await admin.disconnect();
  });

  it('on app.close, the transport lets the in-flight batch finish and commits it', async () => {
    await ensureTopics(raw, [slowTopic]);
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'identifier-hasher', brokers: testBrokers(), topics: [slowTopic] })],
      controllers: [SlowProbe],
    }).compile();
    const slowApp = moduleRef.createNestApplication({ logger: ['error'] });
    await serve(slowApp, 0, '127.0.0.1');
    const producer = raw.producer();
    await producer.connect();
    await producer.send({ topic: slowTopic.name, messages: [{ value: JSON.stringify({ n: 1 }) }] });
    await producer.disconnect();
    await eventually(() => entered, 20000, 'the batch in flight');
    await slowApp.close();
    expect(finished).toBe(true);
    const admin = raw.admin();
    await admin.connect();
    const [entry] = await admin.fetchOffsets({ groupId: slowGroupId, topics: [slowTopic.name] });
    await admin.disconnect();
    expect(entry.partitions[0].offset).toBe('1');
  });

  it('commits past the markers of transactions and past aborted ones, so a topic written in transactions reads as all consumed', async () => {
    await ensureTopics(raw, [txTopic]);
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'identifier-hasher', brokers: testBrokers(), topics: [txTopic] })],
      controllers: [TransactionalProbe],
    }).compile();
    const txApp = moduleRef.createNestApplication({ logger: ['error'] });
    await serve(txApp, 0, '127.0.0.1');
    const producer = raw.producer({ transactionalId: uniqueName('transport-tx-producer'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const admin = raw.admin();
    await admin.connect();
    try {
      const write = async (n: number[], commit: boolean) => {
        const transaction = await producer.transaction();
        await transaction.send({ topic: txTopic.name, messages: n.map((i) => ({ value: JSON.stringify({ n: i }) })) });
        await (commit ? transaction.commit() : transaction.abort());
      };
      const committedAtEnd = async () => {
        const [end] = await admin.fetchTopicOffsets(txTopic.name);
        const [entry] = await admin.fetchOffsets({ groupId: txGroupId, topics: [txTopic.name] });
        return entry.partitions[0].offset === end.high;
      };
      // Committed: 2 records and a marker; then aborted (as a fenced or crashed writer's): 1 record and a marker.
      await write([1, 2], true);
      await eventually(() => txSeen.length === 2, 20000, 'the committed records handled');
      await write([3], false);
      await eventually(committedAtEnd, 20000, 'the group committed up to the end of the topic');
      await write([4], true);
      await eventually(() => txSeen.length === 3, 20000, 'the next committed record handled');
      await eventually(committedAtEnd, 20000, 'the group committed up to the end of the topic again');
      expect(txSeen).toEqual([1, 2, 4]);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await txApp.close();
    }
  });
});
