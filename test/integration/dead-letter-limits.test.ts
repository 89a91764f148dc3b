import { Test } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { DeadLetterHeaders, Topics, TopicSpec, deadLetterTopic, serviceNames } from '@audience-sync/contracts';
import { BatchConsumers, KafkaModule, ensureTopics } from '@audience-sync/kafka';
import { eventually, testBrokers, uniqueName } from '../support/env';

const MB = 1024 * 1024;
/**
 * The largest value one record with a 5-byte key and no headers can carry on segment-events.v1:
 * the topic limits the record batch (16,777,216 bytes), which adds 61 bytes of batch header and
 * 18 of record framing (length, attributes, deltas, the key and its length, the value's length).
 */
const LARGEST_VALUE = 16 * MB - 79;
/** Kafka's default `max.message.bytes` (a topic without an override accepts no larger record batch). */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1048588;

interface DeadLetter {
  offset: string;
  reason: string;
  value: Buffer;
  truncated?: string;
  originalSize?: string;
}

/**
 * The poison pill of issue 12: whatever the upstream topic accepts must reach the dead-letter
 * topic, and the partition must go on. The input topic here has segment-events.v1's limits.
 */
describe('dead letters of any size the input topic accepts', () => {
  const input = { ...Topics.segmentEvents, name: `${uniqueName('segment-events')}.v1`, partitions: 1 };
  const deadLetters = deadLetterTopic('segment-streamer');
  let app: INestApplication;
  let raw: Kafka;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'segment-streamer', brokers: testBrokers(), topics: [input] })],
    }).compile();
    app = moduleRef.createNestApplication();
    app.enableShutdownHooks();
    await app.init();
    raw = new Kafka({ clientId: 'test-dead-letter-limits', brokers: testBrokers(), logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await app.close();
  });

  it('gives every dead-letter topic room for the largest message any input topic accepts, on the broker too', async () => {
    const largestInput = Math.max(...Object.values(Topics).map((t: TopicSpec) => t.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
    for (const service of serviceNames) {
      expect(deadLetterTopic(service).maxMessageBytes).toBeGreaterThan(largestInput);
    }
    const admin = raw.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: deadLetters.name, configNames: ['max.message.bytes'] }],
      });
      expect(resources[0].configEntries[0].configValue).toBe(String(deadLetters.maxMessageBytes));
    } finally {
      await admin.disconnect();
    }
  });

  it('accepts a record batch of exactly 16 MiB on a topic with segment-events.v1\'s limit and refuses one byte more', async () => {
    const limits = { ...Topics.segmentEvents, name: `${uniqueName('segment-events-limit')}.v1`, partitions: 1 };
    await ensureTopics(raw, [limits]);
    const producer = raw.producer();
    await producer.connect();
    try {
      await producer.send({ topic: limits.name, acks: -1, messages: [{ key: 'loyal', value: Buffer.alloc(LARGEST_VALUE, 'x') }] });
      await expect(producer.send({ topic: limits.name, acks: -1, messages: [{ key: 'loyal', value: Buffer.alloc(LARGEST_VALUE + 1, 'x') }] })).rejects.toMatchObject({
        name: 'KafkaJSProtocolError',
        type: 'MESSAGE_TOO_LARGE',
      });
    } finally {
      await producer.disconnect();
    }
  });

  it('dead-letters a 1.1 MB, a 15 MB and a largest-possible non-JSON message whole, a compressed 40 MB one truncated, an over-long id with its rule, and goes on', async () => {
    const medium = randomBytes(Math.round(1.1 * MB));
    const large = randomBytes(15 * MB);
    const largest = randomBytes(LARGEST_VALUE);
    const huge = Buffer.alloc(40 * MB, '{');
    const good = (n: number) => ({ key: 'loyal', value: JSON.stringify(membership(`good-${n}`, 'p-1')) });
    const sends = [
      { messages: [good(0)] },
      { messages: [{ key: 'loyal', value: medium }] },
      { messages: [good(1)] },
      { messages: [{ key: 'loyal', value: large }] },
      { messages: [good(2)] },
      { messages: [{ key: 'loyal', value: largest }] },
      { messages: [good(3)] },
      // The topic's limit counts the compressed batch: 40 MB of one byte repeated fits in a few KB.
      { messages: [{ key: 'loyal', value: huge }], compression: CompressionTypes.GZIP },
      { messages: [good(4)] },
      { messages: [{ key: 'loyal', value: JSON.stringify(membership('long-id', 'p'.repeat(201))) }] },
      { messages: [{ key: 'loyal', value: JSON.stringify(membership('longest-id', 'p'.repeat(200))) }] },
    ];
    const producer = raw.producer();
    await producer.connect();
    for (const send of sends) await producer.send({ topic: input.name, acks: -1, ...send });
    await producer.disconnect();

    const dead: DeadLetter[] = [];
    const reader = raw.consumer({ groupId: uniqueName('dead-letter-reader') });
    await reader.connect();
    await reader.subscribe({ topic: deadLetters.name, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const h = (name: string) => message.headers?.[name]?.toString();
        if (h(DeadLetterHeaders.sourceTopic) !== input.name) return;
        dead.push({
          offset: h(DeadLetterHeaders.sourceOffset)!,
          reason: h(DeadLetterHeaders.reason)!,
          value: message.value!,
          truncated: h(DeadLetterHeaders.truncated),
          originalSize: h(DeadLetterHeaders.originalSize),
        });
      },
    });

    const handled: string[] = [];
    const consumer = app.get(BatchConsumers).create({
      groupId: uniqueName('poison-pill'),
      topic: input,
      handle: async (messages) => {
        handled.push(...messages.map((m) => m.value.eventId));
      },
    });
    await consumer.start();
    try {
      await eventually(() => handled.length >= 6 && dead.length >= 5, 60000, 'the good messages and five dead letters');
      expect(handled).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4', 'longest-id']);
      expect(dead.map((d) => d.offset)).toEqual(['1', '3', '5', '7', '9']);
      const [first, second, largestCopy, third, fourth] = dead;

      expect(first.reason).toBe('value is not valid JSON');
      expect(first.value.equals(medium)).toBe(true);
      expect(first.truncated).toBeUndefined();

      expect(second.value.equals(large)).toBe(true);
      expect(second.truncated).toBeUndefined();

      expect(largestCopy.value.equals(largest)).toBe(true);
      expect(largestCopy.truncated).toBeUndefined();

      expect(third.reason).toBe('value is not valid JSON');
      expect(third.truncated).toBe('true');
      expect(third.originalSize).toBe(String(huge.length));
      expect(third.value.length).toBeLessThanOrEqual(deadLetters.maxMessageBytes!);
      expect(third.value.length).toBeGreaterThan(15 * MB);
      expect(third.value.equals(huge.subarray(0, third.value.length))).toBe(true);

      expect(fourth.reason).toBe(`schema ${input.name}: profileId: Too big: expected string to have <=200 characters`);
    } finally {
      await consumer.stop();
      await reader.disconnect();
    }
  });
});

function membership(eventId: string, profileId: string) {
  return { type: 'membership', eventId, occurredAt: '2026-11-22T08:00:00Z', segmentId: 'loyal', segmentName: 'Loyal customers', profileId, status: 'entered' };
}
