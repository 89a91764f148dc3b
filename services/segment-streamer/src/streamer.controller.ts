import { BeforeApplicationShutdown, Controller, Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { APP_CONFIG } from '@audience-sync/config';
import { ErasureRequest, HashedSegmentEvent, RunRequest, RunStatus, Topics } from '@audience-sync/contracts';
import { Kafka } from 'kafkajs';
import { ConsumeBatches, ConsumerProgress, KAFKA, KafkaBatchTransport, Leadership, ReceivedMessage, TableReader, encodeRecords } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from '@audience-sync/delivery';
import { MembershipEngine } from './engine/membership-engine';
import { ChangeBatch } from './engine/change-writer';
import { destinationMessages } from './engine/messages';
import { LevelStore } from './engine/level-store';
import { StateChangelog } from './changelog/state-changelog';
import { recoverState } from './changelog/state-recovery';
import { Following, followState } from './changelog/state-follower';
import { StreamerConfig } from './config';
import { BatchGroups } from './batch-groups';
import { countAbandoned, countActive, countChanges, countStandbyLag, countEvents, countRecovery, countRestore, countRunEnd, measureState } from './streamer-metrics';

const HOUR = 60 * 60 * 1000;

/**
 * Wires the engine to Kafka. Of the instances sharing a state changelog one is active (Leadership):
 * the others stand by, ready, until it stops, and then one of them takes over. At start, once
 * active, before any handler consumes (the transport waits): the
 * state is recovered (state-recovery.ts; readiness shows a restore's progress meanwhile), then the
 * export-config table is read, so no event meets an empty table. Then segment events and run
 * requests. Changes are produced (in the changelog's transactions, so only the active instance's
 * reach a destination), and the state's writes reach its changelog, before the consumed
 * offsets commit. Each configuration the engine has applied is reported, for the registry to show.
 */
@Controller()
export class StreamerController implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(StreamerController.name);
  readonly engine: MembershipEngine;
  private readonly store: LevelStore;
  private readonly changelog: StateChangelog;
  private readonly leadership: Leadership;
  /** While standing by: the changelog followed into the disk. */
  private following?: Promise<Following | undefined>;
  /** Set once the state is recovered: only then may a stop mark the disk clean. */
  private recovered = false;
  private fenced = false;
  /**
   * Set when the process begins to stop. The leadership group rebalances as instances come and go
   * until this one leaves it last; meanwhile neither standing by nor taking over may start again.
   */
  private stopping = false;
  private abandonCheck?: NodeJS.Timeout;
  /** Event batches that arrive while the engine is busy go through it together, in one call and one commit. */
  private readonly eventBatches = new BatchGroups<HashedSegmentEvent>(
    (events) => this.engine.handleEvents(events),
    // With batches waiting, the next call's transaction carries this one's writes (nextCommit).
    (more) => (more ? this.changelog.nextCommit() : this.changelog.flush()),
  );
  private readonly applied = new ConfigAppliedReporter('segment-streamer', (messages) => this.changelog.publish([encodeRecords(Topics.configAppliedByStreamer, messages)]));

  constructor(
    private readonly tables: TableReader,
    private readonly transport: KafkaBatchTransport,
    private readonly progress: ConsumerProgress,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) config: StreamerConfig,
  ) {
    mkdirSync(config.STREAMER_STATE_DIR, { recursive: true });
    this.changelog = new StateChangelog(kafka, config.STREAMER_STATE_TOPIC, (why) => this.stopFenced(why));
    this.leadership = new Leadership(kafka, {
      groupId: `segment-streamer.active.${config.STREAMER_STATE_TOPIC}`,
      topic: Topics.streamerLeadership.name,
      onLost: (why) => this.stopFenced(`${why}.`),
      onStandby: () => this.standBy(),
    });
    this.store = new LevelStore(config.STREAMER_STATE_DIR, this.changelog);
    measureState(config.STREAMER_STATE_DIR);
    this.engine = new MembershipEngine(
      this.store,
      { send: (batches) => this.sendChanges(batches) },
      { report: (status) => this.report(status) },
      { purgeAfterMs: config.STREAMER_PURGE_AFTER_DAYS * 24 * 60 * 60 * 1000, abandonRefreshAfterMs: config.STREAMER_ABANDON_REFRESH_AFTER_HOURS * HOUR },
    );
  }

  onApplicationBootstrap(): void {
    this.transport.holdUntil(this.start());
  }

  private async start(): Promise<void> {
    countActive(false);
    this.progress.waitingFor('opening the state');
    await this.store.open();
    this.progress.waitingFor(`joining the instances on ${this.changelog.topic}`);
    await this.leadership.start();
    await this.leadership.elected;
    if (this.stopping) return;
    await this.stopFollowing();
    countActive(true);
    // Only now: connecting the changelog's transactional producer fences the instance that was active before.
    this.progress.waitingFor('connecting to the state changelog');
    await this.changelog.connect();
    let reported = 0;
    const how = await recoverState(this.store, this.changelog, (restored, atMost) => {
      this.progress.waitingFor(`restoring the state from ${this.changelog.topic}: ${restored} of at most ${atMost} records`);
      countRestore(restored - reported, atMost - restored);
      reported = restored;
    });
    this.recovered = true;
    countRestore(0, 0);
    countRecovery(how);
    this.progress.waitingFor('reading the export configurations');
    await this.tables.read(Topics.exportConfigs, async (exportId, config) => {
      await this.engine.applyConfig(exportId, config);
      await this.changelog.flush();
      this.applied.applied(exportId, config?.version ?? null);
    });
    this.logger.log(`export configurations loaded (${this.engine.exportIds().length} exports)`);
    this.checkAbandonedRefreshes();
  }

  /** Hourly, counting from now, when this instance became active (see dropAbandonedRefreshes). */
  private checkAbandonedRefreshes(): void {
    const activeSince = Date.now();
    this.abandonCheck = setInterval(() => {
      this.engine
        .dropAbandonedRefreshes(activeSince)
        .then(async (dropped) => {
          countAbandoned(dropped);
          if (dropped > 0) await this.changelog.flush();
        })
        .catch((error: Error) => this.logger.warn(`could not look for abandoned refreshes (${error.message}); looked again in an hour`));
    }, HOUR).unref();
  }

  /**
   * The partitions' batches are handed over side by side and meet in BatchGroups: those that came
   * while the engine was busy go through it in one call, whose changes and state share transactions
   * (a refresh, or live traffic, reaches every partition at once).
   */
  @ConsumeBatches(Topics.hashedSegmentEvents, { groupId: 'segment-streamer', partitionsConsumedConcurrently: Topics.hashedSegmentEvents.partitions })
  async handleEvents(messages: ReceivedMessage<HashedSegmentEvent>[]): Promise<void> {
    const events = messages.map((m) => m.value);
    await this.eventBatches.submit(events);
    countEvents(events);
  }

  @ConsumeBatches(Topics.runRequests, { groupId: 'segment-streamer.runs' })
  async handleRunRequests(messages: ReceivedMessage<RunRequest>[]): Promise<void> {
    for (const m of messages) await this.engine.handleRunRequest(m.value);
    await this.changelog.flush();
  }

  /** Erasures asked through the registry's API: applied as upstream `erase` events are. */
  @ConsumeBatches(Topics.erasureRequests, { groupId: 'segment-streamer.erasures' })
  async handleErasures(messages: ReceivedMessage<ErasureRequest>[]): Promise<void> {
    await this.engine.handleEvents(messages.map(({ value: { requestedBy: _, ...erase } }) => erase));
    await this.changelog.flush();
  }

  /** Another instance is active: ready, following the changelog into the disk until this one takes over. */
  private standBy(): void {
    if (this.stopping) return;
    this.progress.standingBy(`another instance on ${this.changelog.topic} is active; this one follows its state and takes over when that one stops`);
    this.following ??= followState(this.store, this.changelog, { lag: countStandbyLag }).catch((error: Error) => {
      this.logger.error(`could not follow ${this.changelog.topic} while standing by (${error.message}); taking over will restore the state from it instead`);
      return undefined;
    });
  }

  /** Once: stopping marks the disk a standby's copy, which must not follow the clean mark of an instance that took over since. */
  private async stopFollowing(): Promise<void> {
    const following = this.following;
    this.following = undefined;
    await (await following)?.stop();
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.abandonCheck);
  }

  /**
   * After the transport and the table readers stopped their consumers, so no batch is still
   * writing: once every write is on the changelog, the disk is marked clean and kept at the next start.
   */
  async onApplicationShutdown(): Promise<void> {
    try {
      if (this.recovered && !this.fenced) {
        await this.changelog.flush();
        await this.store.setMarker({ state: 'clean' });
      }
    } finally {
      await this.stopFollowing();
      await this.store.close();
      await this.changelog.disconnect();
      // Last: a standby takes over at once, and finds every write on the changelog.
      await this.leadership.stop();
    }
  }

  /**
   * Once another instance took over (it fenced the changelog, or holds the lead): stops the process
   * (a graceful stop: the consumers leave their group) rather than retrying its batches for ever
   * while holding input partitions the active instance needs.
   */
  private stopFenced(why: string): void {
    if (this.fenced) return;
    this.fenced = true;
    this.logger.error(`${why} Stopping.`);
    process.kill(process.pid, 'SIGTERM');
  }

  /** Through the changelog's transactions, fenced with it: see StateChangelog.publish. */
  private async sendChanges(batches: ChangeBatch[]): Promise<void> {
    await this.changelog.publish([...destinationMessages(batches)].map(([topic, messages]) => encodeRecords(topic, messages)));
    countChanges(batches);
  }

  private async report(status: Omit<RunStatus, 'stage' | 'at'>): Promise<void> {
    await this.changelog.publish([encodeRecords(Topics.runStatusFromStreamer, [{ key: status.runId, value: { ...status, stage: 'segment-streamer', at: new Date().toISOString() } }])]);
    countRunEnd(status);
  }
}
