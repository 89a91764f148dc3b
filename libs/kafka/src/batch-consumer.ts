import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { DeadLetterHeaders, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, MessageOf, ServiceName, TopicSpec, deadLetterTopic } from '@audience-sync/contracts';
import { ContractProducer, RawMessage, recordBytes } from './contract-producer';
import { formatIssues } from './format-issues';
import { ConsumerProgress } from './kafka-health';
import { DeadLetterTally } from './dead-letter-tally';

export interface ReceivedMessage<T> {
  key: string | null;
  /** null for a tombstone on a topic that allows them. */
  value: T;
  partition: number;
  offset: string;
  timestamp: string;
  headers: IHeaders;
}

export interface BatchContext {
  topic: string;
  partition: number;
  heartbeat(): Promise<void>;
  /** Aborted when shutdown gives up on the in-flight batch; long work should stop and throw. */
  signal: AbortSignal;
}

export interface BatchConsumerOptions<T extends TopicSpec> {
  service: ServiceName;
  groupId: string;
  topic: T;
  /** Receives the batch's valid messages; the offsets are committed only when it resolves. */
  handle: (messages: ReceivedMessage<MessageOf<T> | (T['tombstones'] extends true ? null : never)>[], ctx: BatchContext) => Promise<void>;
  fromBeginning?: boolean;
  /** false for table readers that replay the whole topic on every start. */
  commit?: boolean;
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
  /** How long shutdown waits for the in-flight batch before abandoning it uncommitted. */
  shutdownGraceMs?: number;
  /** How often dead-lettered messages are summarised in the log (one line, counts by topic and reason). */
  deadLetterSummaryMs?: number;
}

/**
 * kafkajs `eachBatch` consumption with the guarantees the pipeline relies on: messages are
 * validated against the topic's schema, failures go to the service's dead-letter topic with the
 * reason in headers (the batch goes on), and offsets are committed only after the handler
 * succeeded. A handler error leaves the batch uncommitted, so kafkajs fetches it again; a batch
 * that keeps failing shows on readiness through ConsumerProgress.
 */
export class BatchConsumer<T extends TopicSpec> {
  private readonly logger: Logger;
  private consumer: Consumer;
  private readonly deadLetters: TopicSpec;
  private readonly rejections: DeadLetterTally;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopping = false;
  /** Commits go one after another, so one for a later offset is never overtaken by an earlier one. */
  private commits: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: ContractProducer,
    private readonly options: BatchConsumerOptions<T>,
    private readonly progress: ConsumerProgress,
  ) {
    this.logger = new Logger(`Consumer:${options.groupId}`);
    this.deadLetters = deadLetterTopic(options.service);
    this.rejections = new DeadLetterTally((line) => this.logger.warn(line), options.deadLetterSummaryMs);
    this.consumer = this.createConsumer();
  }

  private createConsumer(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      // A crashed member holds its partitions until this passes; short enough for a quick takeover.
      sessionTimeout: 10000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
    });
    this.logRebalances(consumer);
    return consumer;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic.name, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.track(this.processBatch(payload)),
    });
  }

  /**
   * Stops fetching, lets the in-flight batch finish (and commit) within the grace period, and
   * otherwise abandons it without committing; its messages are delivered again after restart.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.options.shutdownGraceMs ?? 10000;
    const finished = Promise.allSettled([...this.inFlight]).then(() => true);
    const inTime = await Promise.race([finished, delay(grace).then(() => false)]);
    if (!inTime) {
      this.logger.warn(`shutdown: abandoning the in-flight batch after ${grace} ms; it stays uncommitted`);
      this.abort.abort();
    }
    await this.consumer.disconnect();
    this.rejections.flush();
    this.progress.released(this.options.groupId, this.options.topic.name);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    const { groupId } = this.options;
    try {
      if (await this.processMessages(payload)) {
        this.progress.batchSucceeded(groupId, batch.topic, batch.partition);
        this.progress.lagged(groupId, batch.topic, batch.partition, Number(batch.offsetLag()));
      }
    } catch (error) {
      this.progress.batchFailed(groupId, batch.topic, batch.partition, batch.firstOffset()!, error);
      // The batch is still to do: behind by all of it and what came after.
      this.progress.lagged(groupId, batch.topic, batch.partition, Number(batch.offsetLagLow()) + 1);
      throw error;
    }
  }

  /** Validates, dead-letters, handles and commits one batch; false when it was abandoned or went stale. */
  private async processMessages({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<boolean> {
    const spec = this.options.topic;
    const valid: ReceivedMessage<never>[] = [];
    const rejected: Rejected[] = [];
    for (const message of batch.messages) {
      const decoded = decode(spec, message);
      if (decoded.ok) {
        valid.push({
          key: message.key?.toString() ?? null,
          value: decoded.value as never,
          partition: batch.partition,
          offset: message.offset,
          timestamp: message.timestamp,
          headers: message.headers ?? {},
        });
      } else rejected.push({ message, reason: decoded.reason, kind: decoded.kind });
    }
    if (rejected.length > 0) await this.deadLetter(batch.topic, batch.partition, rejected);
    if (valid.length > 0) {
      // Long work (completing a large refresh) must not cost the group membership.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
      try {
        await this.options.handle(valid, { topic: batch.topic, partition: batch.partition, heartbeat, signal: this.abort.signal });
      } finally {
        clearInterval(beat);
      }
    }
    if (this.abort.signal.aborted || isStale()) return false;
    resolveOffset(batch.lastOffset());
    if (this.options.commit !== false) await this.commit(batch.topic, batch.partition, batch.lastOffset());
    return true;
  }

  private commit(topic: string, partition: number, lastOffset: string): Promise<void> {
    const next = this.commits.then(() => this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }]));
    this.commits = next.catch(() => undefined);
    return next;
  }

  private async deadLetter(topic: string, partition: number, rejected: Rejected[]): Promise<void> {
    const limit = this.deadLetters.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    await this.producer.sendRaw(
      this.deadLetters.name,
      rejected.map(({ message, reason }) =>
        fitted(
          message,
          {
            [DeadLetterHeaders.reason]: reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason,
            [DeadLetterHeaders.sourceTopic]: topic,
            [DeadLetterHeaders.sourcePartition]: String(partition),
            [DeadLetterHeaders.sourceOffset]: message.offset,
            [DeadLetterHeaders.consumerGroup]: this.options.groupId,
          },
          limit,
        ),
      ),
      limit,
    );
    // Counted once they are on the dead-letter topic; a failed send retries the batch instead.
    this.rejections.add(topic, rejected.map((r) => r.reason));
    for (const kind of rejectionKinds) {
      const count = rejected.filter((r) => r.kind === kind).length;
      if (count > 0) this.progress.deadLetter(this.options.groupId, topic, kind, count);
    }
  }

  private logRebalances(consumer: Consumer): void {
    const { GROUP_JOIN, REBALANCING, CRASH, FETCH, END_BATCH_PROCESS } = consumer.events;
    const groupId = this.options.groupId;
    const topicName = this.options.topic.name;
    // A fetch that returned means the consumer reads again (a crash in a batch's handler is counted there).
    consumer.on(FETCH, () => this.progress.fetched(groupId, topicName));
    // A fetch of nothing but transaction markers and aborted records never reaches eachBatch, and
    // with autoCommit off kafkajs does not commit past it: the group would stay behind the end of
    // a topic written in transactions (the streamer's output) for good, and read as lagging.
    consumer.on(END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || this.stopping || this.options.commit === false) return;
      this.commit(payload.topic, payload.partition, payload.lastOffset).then(
        () => this.progress.lagged(groupId, payload.topic, payload.partition, Number(payload.offsetLag)),
        (error: Error) => this.logger.warn(`could not commit past the transaction markers at ${payload.topic}[${payload.partition}] ${payload.lastOffset}: ${error.message}; the next batch commits past them`),
      );
    });
    consumer.on(REBALANCING, ({ payload }) => this.logger.log(`rebalance: group ${payload.groupId} is rebalancing (member ${payload.memberId})`));
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.progress.assigned(groupId, topicName, (payload.memberAssignment[topicName] as number[] | undefined) ?? []);
      const assigned = Object.entries(payload.memberAssignment)
        .map(([topic, partitions]) => `${topic}[${(partitions as number[]).join(',')}]`)
        .join(' ');
      this.logger.log(`rebalance: joined group ${payload.groupId} as ${payload.isLeader ? 'leader' : 'member'} in ${payload.duration} ms; assigned ${assigned || 'nothing'}`);
    });
    consumer.on(CRASH, ({ payload }) => {
      this.logger.error(`consumer crashed (restart: ${payload.restart}): ${payload.error.message}`);
      if (!this.stopping) this.progress.crashed(groupId, topicName, payload.error);
      // kafkajs gives up on some errors; a consumer that silently stops is worse than a new one.
      if (!payload.restart && !this.stopping) setTimeout(() => void this.recreate(), 1000);
    });
  }

  private async recreate(): Promise<void> {
    if (this.stopping) return;
    this.logger.warn('recreating the consumer after a crash kafkajs does not recover from');
    await this.consumer.disconnect().catch(() => undefined);
    this.consumer = this.createConsumer();
    await this.start().catch((error: Error) => {
      this.logger.error(`could not restart the consumer: ${error.message}`);
      setTimeout(() => void this.recreate(), 5000);
    });
  }
}

/** Field paths can hold long attribute names; the header stays small whatever arrived. */
const REASON_MAX_CHARS = 1000;

/**
 * A rejected message as its dead letter: the bytes as they arrived, or, when those cannot fit the
 * dead-letter topic (a compressed input batch can inflate past any limit), the first bytes that
 * do, marked as truncated with the original size. The key is cut only past half the room.
 */
function fitted(message: KafkaMessage, headers: Record<string, string>, limit: number): RawMessage {
  const whole = { key: message.key, value: message.value, headers };
  if (recordBytes(whole) <= limit) return whole;
  const marked = { ...headers, [DeadLetterHeaders.truncated]: 'true', [DeadLetterHeaders.originalSize]: String(message.value?.length ?? 0) };
  const room = limit - recordBytes({ key: null, value: null, headers: marked });
  const key = message.key?.subarray(0, Math.floor(room / 2)) ?? null;
  return { key, value: message.value?.subarray(0, room - (key?.length ?? 0)) ?? null, headers: marked };
}

/** Why a message was rejected, as a bounded set (metrics label them); `reason` says what exactly. */
const rejectionKinds = ['tombstone', 'not-json', 'schema'] as const;
type RejectionKind = (typeof rejectionKinds)[number];
type Rejected = { message: KafkaMessage; reason: string; kind: RejectionKind };
type Decoded = { ok: true; value: unknown } | { ok: false; reason: string; kind: RejectionKind };

function decode(spec: TopicSpec, message: KafkaMessage): Decoded {
  if (message.value === null) {
    return spec.tombstones ? { ok: true, value: null } : { ok: false, reason: 'null value (tombstone) on a topic that does not allow them', kind: 'tombstone' };
  }
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not valid JSON', kind: 'not-json' };
  }
  const parsed = spec.schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: `schema ${spec.name}: ${formatIssues(parsed.error)}`, kind: 'schema' };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Makes the service's batch consumers, bound to its Kafka client, its producer (for dead letters)
 * and its readiness: what the transport's handlers, the table readers and tests all need.
 */
export class BatchConsumers {
  constructor(
    private readonly kafka: Kafka,
    private readonly producer: ContractProducer,
    private readonly progress: ConsumerProgress,
    private readonly service: ServiceName,
  ) {}

  create<T extends TopicSpec>(options: Omit<BatchConsumerOptions<T>, 'service'>): BatchConsumer<T> {
    return new BatchConsumer(this.kafka, this.producer, { ...options, service: this.service }, this.progress);
  }
}
