import { Kafka, Message, Producer, CompressionTypes } from 'kafkajs';
import { MessageOf, TopicSpec } from '@audience-sync/contracts';
import { formatIssues } from './format-issues';

export interface OutgoingMessage<T extends TopicSpec> {
  key: string | null;
  /** null only on topics that allow tombstones. */
  value: MessageOf<T> | null;
  headers?: Record<string, string>;
  /** Where it goes when not where its key hashes to. */
  partition?: number;
}

const SEND_BYTES = 4 * 1024 * 1024;

/** A topic's messages checked against its contract and encoded, for any producer to send (the streamer sends its output in transactions). */
export interface EncodedRecords {
  topic: string;
  messages: Message[];
}

/** The sends `records` take, in order: each is one record batch per partition, under the topic's limit. */
export function sendsOf(records: EncodedRecords): Message[][] {
  return chunksBySize(records.messages, SEND_BYTES, (m) => (m.value ? Buffer.byteLength(m.value) : 0));
}

/** Messages in runs of at most `limit` bytes (a message larger than that goes alone), in order. */
export function chunksBySize<T>(messages: T[], limit: number, bytes: (m: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const m of messages) {
    const b = bytes(m);
    if (current.length > 0 && size + b > limit) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += b;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Kafka's framing around a record in a batch of its own: the 61-byte batch header and the record's fields, with room to spare. */
export const RECORD_FRAMING_BYTES = 128;

/** What one record takes in a record batch, at most. */
export function recordBytes(m: RawMessage): number {
  let headers = 0;
  for (const [name, value] of Object.entries(m.headers)) headers += Buffer.byteLength(name) + Buffer.byteLength(value) + 10;
  return (m.key?.length ?? 0) + (m.value?.length ?? 0) + headers + RECORD_FRAMING_BYTES;
}

export class ContractViolation extends Error {
  constructor(topic: string, reason: string) {
    super(`refusing to send a message that breaks the contract of ${topic}: ${reason}`);
    this.name = 'ContractViolation';
  }
}

/**
 * The one way services produce: every value is checked against its topic's schema before it is
 * sent, and the producer is idempotent so a retried send is not written twice.
 */
export class ContractProducer {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }

  async send<T extends TopicSpec>(spec: T, messages: OutgoingMessage<T>[]): Promise<void> {
    if (messages.length === 0) return;
    const records = encodeRecords(spec, messages);
    await this.connect();
    for (const chunk of sendsOf(records)) await this.producer.send({ topic: spec.name, messages: chunk, acks: -1, compression: CompressionTypes.None });
  }

  /**
   * Sends bytes as they are; for dead letters, whose value is whatever arrived. Each send stays
   * within `maxBatchBytes`, the topic's `max.message.bytes`, which limits a whole record batch.
   */
  async sendRaw(topic: string, messages: RawMessage[], maxBatchBytes: number): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    for (const chunk of chunksBySize(messages, maxBatchBytes, recordBytes)) await this.producer.send({ topic, messages: chunk, acks: -1, compression: CompressionTypes.None });
  }
}

/** Checks every value against its topic's schema (refusing what breaks it) and encodes it as JSON. */
export function encodeRecords<T extends TopicSpec>(spec: T, messages: OutgoingMessage<T>[]): EncodedRecords {
  return { topic: spec.name, messages: messages.map((m) => ({ key: m.key, value: encodeValue(spec, m.value), headers: m.headers, partition: m.partition })) };
}

function encodeValue<T extends TopicSpec>(spec: T, value: MessageOf<T> | null): string | null {
  if (value === null) {
    if (!spec.tombstones) throw new ContractViolation(spec.name, 'null values (tombstones) are not allowed on this topic');
    return null;
  }
  const result = spec.schema.safeParse(value);
  if (!result.success) throw new ContractViolation(spec.name, formatIssues(result.error));
  return JSON.stringify(value);
}
