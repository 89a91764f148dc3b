import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Admin, Kafka } from 'kafkajs';

/**
 * Readiness of the Kafka cluster, probed in the background every few seconds so a readiness
 * request answers at once and a stopped broker shows within 10 seconds. The probe uses its own
 * client without retries: one failed metadata request is enough to say "down".
 */
@Injectable()
export class KafkaHealth implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KafkaHealth.name);
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private state: { up: boolean; detail: string; brokers?: number } = { up: false, detail: 'not probed yet' };

  constructor(
    private readonly probeClient: Kafka,
    private readonly indicators: HealthIndicatorService,
    private readonly intervalMs = 3000,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.admin?.disconnect().catch(() => undefined);
  }

  check(key = 'kafka') {
    const session = this.indicators.check(key);
    return this.state.up ? session.up({ brokers: this.state.brokers }) : session.down({ message: this.state.detail });
  }

  private async probe(): Promise<void> {
    try {
      this.admin ??= this.probeClient.admin();
      const cluster = await withTimeout(
        this.admin.connect().then(() => this.admin!.describeCluster()),
        this.intervalMs,
      );
      if (!this.state.up) this.logger.log(`Kafka reachable (${cluster.brokers.length} broker(s))`);
      this.state = { up: true, detail: 'ok', brokers: cluster.brokers.length };
    } catch (error) {
      if (this.state.up) this.logger.warn(`Kafka unreachable: ${(error as Error).message}`);
      this.state = { up: false, detail: `cluster unreachable: ${(error as Error).message}` };
      // A fresh client next time: kafkajs may keep a broken connection pool after the broker died.
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
    }
  }
}

/** Where a consumer keeps failing; nothing of the messages themselves. */
export interface StuckPartition {
  group: string;
  topic: string;
  /** `batch`: its handler or dead-letter send fails. `fetch`: the consumer crashes before a batch reaches it. */
  stage: 'batch' | 'fetch';
  /** null at the fetch stage, where kafkajs does not say which partition it could not read. */
  partition: number | null;
  /** The first offset of the batch that fails; null at the fetch stage. */
  offset: string | null;
  /** The error's class (and Kafka error type), never its message: that may quote message content. */
  error: string;
  failures: number;
  since: string;
}

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

export interface DeadLetterCount {
  group: string;
  topic: string;
  reason: string;
  count: number;
}

/** Failures in a row at one place before readiness says so: kafkajs retries a failed batch within a second or two. */
const STUCK_AFTER_FAILURES = 3;

/**
 * Whether every consumer makes progress. A batch that fails again and again at the same offset
 * (its handler, or the dead-letter send), or a consumer that crashes on every fetch (a batch it
 * cannot decode), holds its partitions still while the broker answers, so the cluster probe alone
 * says "ready". Readiness turns down after a few failures in a row and up again once the consumer
 * moves on (a committed batch, a successful fetch), the partition goes to another member, or the
 * consumer stops.
 */
@Injectable()
export class ConsumerProgress {
  private readonly logger = new Logger(ConsumerProgress.name);
  private readonly failing = new Map<string, StuckPartition>();
  /** For metrics: each owned partition's lag after its last batch, and dead letters so far. */
  private readonly lag = new Map<string, PartitionLag>();
  private readonly deadLettered = new Map<string, DeadLetterCount>();
  /** Why the consumers have not started, until the transport starts them. */
  private pending: string | undefined = 'the consumers have not started yet';
  private standby: string | undefined;

  constructor(private readonly indicators: HealthIndicatorService) {}

  /** Before the consumers start: what start-up is waiting for (a state restore's progress), shown by readiness. */
  waitingFor(detail: string): void {
    if (this.pending === undefined) return;
    this.pending = detail;
    this.standby = undefined;
  }

  /**
   * Before the consumers start, and by design: another instance does the work and this one takes
   * over when that one stops. Ready (it is where it should be), with `detail` in the answer.
   */
  standingBy(detail: string): void {
    if (this.pending !== undefined) this.standby = detail;
  }

  /** The transport started every consumer. */
  consuming(): void {
    this.pending = undefined;
    this.standby = undefined;
  }

  batchFailed(group: string, topic: string, partition: number, offset: string, error: unknown): void {
    this.failed({ group, topic, stage: 'batch', partition, offset }, error);
  }

  batchSucceeded(group: string, topic: string, partition: number): void {
    this.cleared(placeKey(group, topic, partition));
  }

  crashed(group: string, topic: string, error: unknown): void {
    this.failed({ group, topic, stage: 'fetch', partition: null, offset: null }, error);
  }

  fetched(group: string, topic: string): void {
    this.cleared(placeKey(group, topic, null));
  }

  /** Messages behind the partition's end as a batch of it was fetched (its high watermark less what was consumed). */
  lagged(group: string, topic: string, partition: number, lag: number): void {
    this.lag.set(placeKey(group, topic, partition), { group, topic, partition, lag });
  }

  /** Dead letters counted by a bounded reason (what kind of problem), never the message's own text. */
  deadLetter(group: string, topic: string, reason: string, count: number): void {
    const key = JSON.stringify([group, topic, reason]);
    const entry = this.deadLettered.get(key) ?? { group, topic, reason, count: 0 };
    entry.count += count;
    this.deadLettered.set(key, entry);
  }

  lags(): readonly PartitionLag[] {
    return [...this.lag.values()];
  }

  deadLetters(): readonly DeadLetterCount[] {
    return [...this.deadLettered.values()];
  }

  /** After a rebalance: partitions another member now owns are not this one's to report. */
  assigned(group: string, topic: string, partitions: number[]): void {
    for (const places of [this.failing, this.lag]) {
      for (const [key, entry] of places) {
        if (entry.group === group && entry.topic === topic && entry.partition !== null && !partitions.includes(entry.partition)) places.delete(key);
      }
    }
  }

  /** A stopped consumer is not stuck, nor behind. */
  released(group: string, topic: string): void {
    for (const places of [this.failing, this.lag]) for (const [key, entry] of places) if (entry.group === group && entry.topic === topic) places.delete(key);
  }

  check(key = 'consumers') {
    const session = this.indicators.check(key);
    if (this.standby !== undefined) return session.up({ message: `standing by: ${this.standby}` });
    if (this.pending !== undefined) return session.down({ message: `not consuming yet: ${this.pending}` });
    const stuck = [...this.failing.values()].filter((e) => e.failures >= STUCK_AFTER_FAILURES);
    if (stuck.length === 0) return session.up();
    const places = stuck.map((e) => `${e.group} ${describe(e)} (${e.error}, ${e.failures} failures in a row)`);
    return session.down({ message: `no progress: ${places.join('; ')}. The service log has the error; consumption resumes by itself once it succeeds`, stuck });
  }

  private failed(place: Pick<StuckPartition, 'group' | 'topic' | 'stage' | 'partition' | 'offset'>, error: unknown): void {
    const key = placeKey(place.group, place.topic, place.partition);
    const previous = this.failing.get(key);
    const entry: StuckPartition =
      previous?.offset === place.offset
        ? { ...previous, error: errorClass(error), failures: previous.failures + 1 }
        : { ...place, error: errorClass(error), failures: 1, since: new Date().toISOString() };
    this.failing.set(key, entry);
    if (entry.failures === STUCK_AFTER_FAILURES) {
      this.logger.error(`${entry.group} is stuck ${describe(entry)}: ${entry.error} ${entry.failures} times in a row; not ready until it moves on`);
    }
  }

  private cleared(key: string): void {
    const entry = this.failing.get(key);
    if (!entry) return;
    this.failing.delete(key);
    if (entry.failures >= STUCK_AFTER_FAILURES) this.logger.log(`${entry.group} makes progress again ${describe(entry)} after ${entry.failures} failures`);
  }
}

function describe(e: StuckPartition): string {
  return e.partition === null ? `fetching ${e.topic}` : `at ${e.topic}[${e.partition}]@${e.offset}`;
}

function placeKey(group: string, topic: string, partition: number | null): string {
  return JSON.stringify([group, topic, partition]);
}

function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' ? `${error.name} (${type})` : error.name;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
