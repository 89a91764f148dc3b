import { Kafka, logLevel } from 'kafkajs';
import { FacebookChangeBatch, MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';
import { eventually, testBrokers, uniqueName } from './env';

/**
 * Reads the hasher's output topics from the beginning and applies them as a destination would
 * (full syncs replace on their last batch), keeping the raw bytes for plain-text scans.
 */
export class HashedAudiences {
  readonly audiences = new Map<string, Set<string>>();
  readonly raw: string[] = [];
  private readonly staging = new Map<string, Set<string>>();
  /** The next offset to read, by topic/partition. */
  private readonly positions = new Map<string, bigint>();
  private kafka?: Kafka;
  private consumer?: ReturnType<Kafka['consumer']>;

  constructor(private readonly exportIds: Set<string>) {}

  async start(): Promise<void> {
    const kafka = (this.kafka = new Kafka({ clientId: 'hashed-reader', brokers: testBrokers(), logLevel: logLevel.NOTHING }));
    this.consumer = kafka.consumer({ groupId: uniqueName('hashed-reader') });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.facebookChanges.name, Topics.microsoftChanges.name], fromBeginning: true });
    // The streamer writes in transactions (read committed, as the sinks do): a partition's last
    // offset may be a marker, which no message stands for, but its batch's last offset does.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const at = BigInt(payload.lastOffset) + 1n;
      if (at > (this.positions.get(`${payload.topic}/${payload.partition}`) ?? 0n)) this.positions.set(`${payload.topic}/${payload.partition}`, at);
    });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.positions.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
        const text = message.value!.toString();
        const batch = JSON.parse(text) as FacebookChangeBatch | MicrosoftChangeBatch;
        if (!this.exportIds.has(batch.audience.exportId)) return;
        this.raw.push(text);
        const rows = topic === Topics.facebookChanges.name ? this.rowsOf(batch as FacebookChangeBatch) : { adds: (batch as MicrosoftChangeBatch).adds, removes: (batch as MicrosoftChangeBatch).removes };
        this.apply(`${batch.audience.exportId}/${batch.audience.audienceKey}`, batch.mode, rows);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }

  /** Until everything on the hasher's output topics up to now has been read. */
  async caughtUp(timeoutMs = 30000): Promise<void> {
    const admin = this.kafka!.admin();
    await admin.connect();
    try {
      const ends = await Promise.all([Topics.facebookChanges.name, Topics.microsoftChanges.name].map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((p) => ({ topic, ...p }))));
      const read = (e: { topic: string; partition: number; low: string; high: string }) => e.high === e.low || (this.positions.get(`${e.topic}/${e.partition}`) ?? 0n) >= BigInt(e.high);
      await eventually(() => ends.flat().every(read), timeoutMs, 'the reader to reach the end of the hashed topics');
    } finally {
      await admin.disconnect();
    }
  }

  of(exportId: string, audienceKey: string): Set<string> {
    return this.audiences.get(`${exportId}/${audienceKey}`) ?? new Set();
  }

  private rowsOf(batch: FacebookChangeBatch) {
    return { adds: batch.adds.map((r) => r.join('|')), removes: batch.removes.map((r) => r.join('|')) };
  }

  private apply(id: string, mode: FacebookChangeBatch['mode'], rows: { adds: string[]; removes: string[] }): void {
    if (mode.kind === 'full-sync') {
      if (mode.seq === 1) this.staging.set(id, new Set());
      const staged = this.staging.get(id) ?? new Set<string>();
      for (const a of rows.adds) staged.add(a);
      this.staging.set(id, staged);
      if (mode.last) this.audiences.set(id, staged);
      return;
    }
    const set = this.audiences.get(id) ?? new Set<string>();
    this.audiences.set(id, set);
    for (const r of rows.removes) set.delete(r);
    for (const a of rows.adds) set.add(a);
  }
}

/** The rows a destination should hold for these identifier sets. */
export function expectedFacebookRows(keys: Parameters<typeof facebookRows>[0], identifiers: Record<string, string>[]): Set<string> {
  return new Set(facebookRows(keys, identifiers.map((i) => ({ op: 'add' as const, identifiers: i }))).adds.map((r) => r.join('|')));
}

export function expectedMicrosoftRows(emails: string[]): Set<string> {
  return new Set(microsoftEmails(emails.map((e) => ({ op: 'add' as const, identifiers: { EMAIL: e } }))).adds);
}
