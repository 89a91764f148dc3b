import { Test } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { TopicSpec } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KafkaModule, ensureTopics } from '@audience-sync/kafka';
import { HealthModule, serve } from '@audience-sync/runtime';
import { eventually, testBrokers, uniqueName } from '../support/env';

const schema = z.object({ email: z.string() });

class DownstreamRejected extends Error {
  override name = 'DownstreamRejected';
}

/**
 * A valid zstd frame holding the bytes as one raw (stored) block: enough for the broker, which
 * checks what it stores, and a codec kafkajs does not have (it decodes gzip only).
 */
function zstdStored(data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0xfd2fb528, 0); // magic number
  header.writeUInt8(0xa0, 4); // single segment, 4-byte content size
  header.writeUInt32LE(data.length, 5);
  header.writeUIntLE((data.length << 3) | 1, 9, 3); // the last block, raw
  return Buffer.concat([header, data]);
}

interface ReadyBody {
  status: string;
  error?: Record<string, { status: string; message?: string; stuck?: { group: string; topic: string; partition: number | null; offset: string | null; error: string; failures: number }[] }>;
  info?: Record<string, { status: string }>;
}

/** A consumer that keeps failing on one offset is not ready, says where and why, and recovers by itself. */
describe('readiness follows consumer progress', () => {
  const spec = (prefix: string): TopicSpec<typeof schema> => ({ name: `${uniqueName(prefix)}.v1`, schema, partitions: 1, cleanupPolicy: 'delete', tombstones: false, key: 'none', writer: 'identifier-hasher', readers: [], retentionMs: 3_600_000, personalData: false });
  const topic = spec('stuck');
  let app: INestApplication;
  let url: string;
  let raw: Kafka;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRoot({ service: 'identifier-hasher', brokers: testBrokers(), topics: [topic] }), HealthModule.forRoot({ database: false })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.enableShutdownHooks();
    // As a service starts: its transport (no handlers here) reports the consumers started.
    await serve(app, 0, '127.0.0.1');
    url = await app.getUrl();
    raw = new Kafka({ clientId: 'test-consumer-readiness', brokers: testBrokers(), logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await app.close();
  });

  const ready = async (): Promise<{ status: number; body: ReadyBody; text: string }> => {
    const response = await fetch(`${url}/health/ready`);
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as ReadyBody, text };
  };

  const notReady = () =>
    eventually(async () => {
      const r = await ready();
      return r.status === 503 ? r : undefined;
    }, 30000, 'readiness to turn 503');

  async function committedOffset(groupId: string): Promise<string> {
    const admin = raw.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic.name] });
      return entry.partitions[0].offset;
    } finally {
      await admin.disconnect();
    }
  }

  it('turns /health/ready to 503 naming topic, partition, offset and error class while a batch keeps failing, and 200 once it succeeds', async () => {
    const producer = raw.producer();
    await producer.connect();
    await producer.send({ topic: topic.name, messages: [{ key: 'secret-key', value: JSON.stringify({ email: 'kari@example.no' }) }] });
    await producer.disconnect();
    await eventually(async () => (await ready()).status === 200, 15000, 'ready before the consumer starts');

    let failing = true;
    let attempts = 0;
    const groupId = uniqueName('group-stuck');
    const consumer = app.get(BatchConsumers).create({
      groupId,
      topic,
      handle: async (messages) => {
        attempts += 1;
        if (failing) throw new DownstreamRejected(`rejected ${messages[0].value.email}`);
      },
    });
    await consumer.start();
    try {
      const stuck = await notReady();
      expect(stuck.body.info?.kafka.status).toBe('up');
      expect(stuck.body.error?.consumers.stuck).toEqual([
        expect.objectContaining({ group: groupId, topic: topic.name, stage: 'batch', partition: 0, offset: '0', error: 'DownstreamRejected', failures: expect.any(Number) }),
      ]);
      expect(stuck.body.error?.consumers.message).toContain(`${groupId} at ${topic.name}[0]@0 (DownstreamRejected`);
      expect(stuck.text).not.toContain('kari');
      expect(stuck.text).not.toContain('secret-key');
      const attemptsWhenStuck = attempts;

      failing = false;
      await eventually(async () => (await ready()).status === 200, 30000, 'ready again after the batch succeeded');
      expect(attempts).toBeGreaterThan(attemptsWhenStuck);
      expect(await committedOffset(groupId)).toBe('1');
    } finally {
      await consumer.stop();
    }
    // A stopped consumer is not stuck any more.
    expect((await ready()).status).toBe(200);
  });

  it('names the broker\'s refusal when the output of a batch is too large for its topic', async () => {
    const input = spec('oversized-in');
    const output = spec('oversized-out'); // Kafka's default 1 MB limit
    await ensureTopics(raw, [input, output]);
    const producer = app.get(ContractProducer);
    await producer.send(input, [{ key: null, value: { email: 'kari@example.no' } }]);
    const consumer = app.get(BatchConsumers).create({
      groupId: uniqueName('group-oversized'),
      topic: input,
      handle: async (messages) => producer.send(output, messages.map((m) => ({ key: null, value: { email: m.value.email.repeat(100_000) } }))),
    });
    await consumer.start();
    try {
      const stuck = await notReady();
      expect(stuck.body.error?.consumers.stuck).toEqual([expect.objectContaining({ topic: input.name, partition: 0, offset: '0', error: 'KafkaJSProtocolError (MESSAGE_TOO_LARGE)' })]);
    } finally {
      await consumer.stop();
    }
  });

  it('turns not ready when the consumer crashes before any batch reaches it (a compression codec it lacks), and ready once it is stopped', async () => {
    const input = spec('zstd');
    await ensureTopics(raw, [input]);
    const original = CompressionCodecs[CompressionTypes.ZSTD];
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({ compress: async (encoder: { buffer: Buffer }) => zstdStored(encoder.buffer), decompress: async () => Buffer.alloc(0) });
    const producer = raw.producer();
    try {
      await producer.connect();
      await producer.send({ topic: input.name, compression: CompressionTypes.ZSTD, messages: [{ key: 'secret-key', value: JSON.stringify({ email: 'kari@example.no' }) }] });
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = original;
      await producer.disconnect();
    }
    const groupId = uniqueName('group-zstd');
    let handled = 0;
    const consumer = app.get(BatchConsumers).create({ groupId, topic: input, handle: async () => void (handled += 1) });
    await consumer.start();
    try {
      const stuck = await notReady();
      expect(stuck.body.error?.consumers.stuck).toEqual([expect.objectContaining({ group: groupId, topic: input.name, stage: 'fetch', partition: null, offset: null, error: 'KafkaJSNotImplemented' })]);
      expect(stuck.text).not.toContain('kari');
      expect(handled).toBe(0);
    } finally {
      await consumer.stop();
    }
    expect((await ready()).status).toBe(200);
  });
});
