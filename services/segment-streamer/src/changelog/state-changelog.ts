import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import { EncodedRecords, chunksBySize, sendsOf } from '@audience-sync/kafka';
import { CommitListener, EncodedWrite, StateJournal } from '../engine/state-journal';

/** Pending writes past this are sent before the store goes on, so a 10-million-member run never holds its state in memory. */
const FLUSH_BYTES = 4 * 1024 * 1024;
/**
 * Per send within a transaction: about 500 typical records. kafkajs groups a send's messages by
 * partition copying its array per message, so larger sends cost more per record (15 µs at 2,500
 * records, 9 at 500, measured here); much smaller ones pay a round trip each.
 */
const SEND_BYTES = 192 * 1024;
/** Keys of the markers a restore writes to find the changelog's end; no store key starts so. */
const END_MARKER = '~restore-end~';

/**
 * The store's writes on a compacted topic, key for key. Writes are buffered and sent in
 * transactions (`flush`), each holding whole store batches, so a restore (read committed) sees the
 * store as it was between two batches, never half of one. The streamer flushes before its
 * consumers commit, so the changelog is always at least as far as the committed input.
 */
export class StateChangelog implements StateJournal {
  private readonly logger = new Logger(StateChangelog.name);
  private readonly producer: Producer;
  private pending = new Map<string, string | null>();
  private pendingBytes = 0;
  /** The store batches whose writes are pending. */
  private batches: number[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** Callers waiting for the next transaction to begin, which will hold what they wrote (nextCommit). */
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private listener: CommitListener = async () => undefined;

  /**
   * `onFenced`: the producer lost its transactional id, to a newer streamer on the same changelog
   * (or a transaction outlived the broker's timeout); no later flush can succeed.
   */
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly onFenced: (why: string) => void = () => undefined,
  ) {
    // One writer per changelog: a second instance with the same id fences the first, whose next flush fails.
    // A transaction begun right after a commit may be told the broker still ends the previous one:
    // retried after 25 ms (Kafka's Java client waits 20), not the client's 300, which a live batch would wait.
    this.producer = kafka.producer({ transactionalId: `segment-streamer.${topic}`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 8, initialRetryTime: 25, maxRetryTime: 5000 } });
  }

  /**
   * Connects and takes the transactional id, which fences the instance that held it: kafkajs
   * claims it only at a producer's first transaction, so an empty one is begun (nothing is sent).
   * A transaction the other left open is aborted by the broker.
   */
  async connect(): Promise<void> {
    await this.producer.connect();
    await (await this.producer.transaction()).abort();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  async record(writes: EncodedWrite[], batch?: number): Promise<void> {
    // Only a key's last value matters within one transaction: compaction keeps no more.
    for (const { key, value } of writes) {
      this.pending.set(key, value);
      this.pendingBytes += key.length + (value?.length ?? 0);
    }
    if (batch !== undefined) this.batches.push(batch);
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Sends what is pending; flushes run one after another, so a flush returns only once every earlier write is on the topic. */
  flush(): Promise<void> {
    return this.publish([]);
  }

  /**
   * Resolves once a transaction begun after this call commits (it holds every write recorded
   * before), without starting one: for a caller that knows another will flush or publish soon.
   */
  nextCommit(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Sends `output` (the streamer's audience changes and run reports) in the next flush's
   * transaction: read-committed consumers see it whole or not at all, and an instance another one
   * has taken over from since (paused past the session timeout, then resumed mid-batch) is fenced
   * and sends nothing, where an ordinary producer would deliver its stale changes after the new
   * instance's. The caller records what was sent only after this resolves.
   */
  publish(output: EncodedRecords[]): Promise<void> {
    const next = this.flushing.then(() => this.send(output));
    this.flushing = next.catch(() => undefined);
    return next;
  }

  /** Whether nothing was ever written to the topic (compaction never lowers its end). */
  async isEmpty(): Promise<boolean> {
    return (await this.end()) === 0;
  }

  /** The topic's end offset: it moves with every transaction, so an end a disk saw last says no one else wrote since. */
  async end(): Promise<number> {
    return (await this.bounds()).end;
  }

  /**
   * Reads the topic into `apply`, reporting progress: from its start (a restore), or from `from`
   * (a standby taking over reads what came since its copy's offset), to its end.
   */
  async restore(apply: (writes: EncodedWrite[]) => Promise<void>, progress: (restored: number, atMost: number) => void, from?: number): Promise<number> {
    const { start, end } = await this.bounds();
    let restored = 0;
    await this.read(from, async (writes) => {
      if (writes.length > 0) await apply(writes);
      restored += writes.length;
      progress(restored, Math.max(restored, end - (from ?? start)));
    });
    return restored;
  }

  /**
   * Follows the topic (read committed) from `from` (its start when undefined) until stopped,
   * handing `apply` each fetched batch's writes and the offset to read on from after them: what a
   * standby does, so that taking over reads only what came since. Writes nothing to the topic.
   */
  async follow(from: number | undefined, apply: (writes: EncodedWrite[], next: number) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    const consumer = this.kafka.consumer({ groupId: `segment-streamer.standby.${randomUUID()}`, readUncommitted: false, allowAutoTopicCreation: false, maxBytes: 16 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning }) => {
        if (!isRunning() || batch.messages.length === 0) return;
        const writes: EncodedWrite[] = [];
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8');
          if (key === undefined || key.startsWith(END_MARKER)) continue;
          writes.push({ key, value: m.value === null ? null : m.value.toString('utf8') });
        }
        await apply(writes, Number(batch.messages[batch.messages.length - 1].offset) + 1);
        await heartbeat();
      },
    });
    if (from !== undefined) consumer.seek({ topic: this.topic, partition: 0, offset: String(from) });
    return { stop: () => consumer.disconnect() };
  }

  /**
   * Whether any state record was committed at `offset` or after: none when all that followed were
   * aborted transactions (a crashed run's last one). Stops at the first: a restore follows.
   */
  async committedSince(offset: number): Promise<boolean> {
    let committed = false;
    await this.read(offset, async (writes) => {
      if (writes.length > 0) committed = true;
      return committed;
    });
    return committed;
  }

  /**
   * Reads the topic (read committed) from its start or an offset up to a marker written now, so
   * "the end" is exact although transaction markers take offsets of their own, handing each
   * fetched batch to `each`, which may end the read early by answering true.
   */
  private async read(from: number | undefined, each: (writes: EncodedWrite[]) => Promise<boolean | void>): Promise<void> {
    const marker = `${END_MARKER}${randomUUID()}`;
    this.pending.set(marker, '1');
    await this.flush();
    const consumer = this.kafka.consumer({ groupId: `segment-streamer.restore.${randomUUID()}`, readUncommitted: false, allowAutoTopicCreation: false, maxBytes: 16 * 1024 * 1024 });
    let finished = false;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
        void consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              // Until the consumer stops, what follows the marker is not this read's.
              if (finished) return;
              const writes: EncodedWrite[] = [];
              let done = false;
              for (const m of batch.messages) {
                const key = m.key?.toString('utf8');
                if (key === marker) done = true;
                if (done) break;
                if (key === undefined || key.startsWith(END_MARKER) || (from !== undefined && Number(m.offset) < from)) continue;
                writes.push({ key, value: m.value === null ? null : m.value.toString('utf8') });
              }
              if (await each(writes)) done = true;
              await heartbeat();
              if (done) {
                finished = true;
                resolve();
              }
            },
          })
          .catch(reject);
        if (from !== undefined) consumer.seek({ topic: this.topic, partition: 0, offset: String(from) });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    // The marker has served; a tombstone lets compaction drop it.
    this.pending.set(marker, null);
    await this.flush();
  }

  private async bounds(): Promise<{ start: number; end: number }> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const partitions = await admin.fetchTopicOffsets(this.topic);
      // Everything is written to partition 0 and a restore ends at a marker there: another partition would be read only in part.
      if (partitions.length !== 1) throw new Error(`the state changelog ${this.topic} has ${partitions.length} partitions; it must have exactly one: point STREAMER_STATE_TOPIC at a new topic (the streamer creates it) or recreate this one with one partition`);
      return { start: Number(partitions[0].low), end: Number(partitions[0].high) };
    } finally {
      await admin.disconnect();
    }
  }

  private async send(output: EncodedRecords[]): Promise<void> {
    const waiters = this.waiters;
    this.waiters = [];
    try {
      await this.transact(output);
    } catch (error) {
      for (const w of waiters) w.reject(error);
      throw error;
    }
    for (const w of waiters) w.resolve();
  }

  private async transact(output: EncodedRecords[]): Promise<void> {
    // Nothing pending: every earlier write is on the topic (a failed send puts its writes back).
    if (this.pending.size === 0 && output.length === 0) return;
    const batch = this.pending;
    // Without state records the transaction moves no offset of the topic: the batches wait for one that does.
    const batches = batch.size > 0 ? this.batches : [];
    this.pending = new Map();
    this.pendingBytes = 0;
    if (batch.size > 0) this.batches = [];
    // The topic's one partition, named: kafkajs then skips hashing each key to find it.
    const messages = [...batch].map(([key, value]) => ({ key, value, partition: 0 }));
    // In rounds, each at most one chunk of every topic: a live batch's state and output then take
    // one request (and one AddPartitionsToTxn) instead of one per topic, and no partition's record
    // batch outgrows its chunk.
    const rounds: TopicMessages[][] = [];
    const add = (topic: string, chunks: Message[][]) => chunks.forEach((chunk, r) => (rounds[r] ??= []).push({ topic, messages: chunk }));
    add(this.topic, chunksBySize(messages, SEND_BYTES, (m) => m.key.length + (m.value?.length ?? 0)));
    for (const records of output) add(records.topic, sendsOf(records));
    const transaction = await this.producer.transaction();
    let last = 0;
    try {
      for (const topicMessages of rounds) {
        const sent = await transaction.sendBatch({ topicMessages, acks: -1 });
        const state = topicMessages.find((t) => t.topic === this.topic);
        const at = sent.find((m) => m.topicName === this.topic);
        if (state && at) last = Number(at.baseOffset) + state.messages.length - 1;
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // Kept, ahead of anything recorded since, for the next flush: the handler that asked fails and is retried.
      for (const [key, value] of this.pending) batch.set(key, value);
      this.pending = batch;
      this.batches = [...batches, ...this.batches];
      this.pendingBytes = 0;
      for (const [key, value] of batch) this.pendingBytes += key.length + (value?.length ?? 0);
      if ((error as { type?: string }).type === 'INVALID_PRODUCER_EPOCH') {
        this.onFenced(
          `another segment streamer took over the state changelog ${this.topic} (this one was taken for gone), so this one can no longer write it; restarted, it stands by. When no other instance runs, a changelog transaction outlived the broker's timeout and a restart recovers.`,
        );
      } else {
        this.logger.warn(`could not write the state changelog ${this.topic}: ${(error as Error).message}; retried with the next batch`);
      }
      throw error;
    }
    // The commit marker takes the offset after the last record.
    if (batch.size > 0) await this.listener(batches, last + 2);
  }
}
