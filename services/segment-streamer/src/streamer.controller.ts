import { Controller, Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { APP_CONFIG } from '@audience-sync/config';
import { ErasureRequest, HashedSegmentEvent, RunRequest, RunStatus, Topics } from '@audience-sync/contracts';
import { ConsumeBatches, ContractProducer, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from '@audience-sync/delivery';
import { MembershipEngine } from './engine/membership-engine';
import { ChangeBatch } from './engine/change-writer';
import { destinationMessages } from './engine/messages';
import { LevelStore } from './engine/level-store';
import { StreamerConfig } from './config';
import { countChanges, countEvents, countRunEnd, measureState } from './streamer-metrics';

/**
 * Wires the engine to Kafka: the export-config table at bootstrap (so no event meets an empty
 * table: the transport starts the handlers after it), then segment events and run requests. Changes are produced before the consumed offsets commit.
 * Each configuration the engine has applied is reported, for the registry to show.
 */
@Controller()
export class StreamerController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StreamerController.name);
  readonly engine: MembershipEngine;
  private readonly store: LevelStore;
  private readonly applied = new ConfigAppliedReporter('segment-streamer', (messages) => this.producer.send(Topics.configAppliedByStreamer, messages));

  constructor(
    private readonly tables: TableReader,
    private readonly producer: ContractProducer,
    @Inject(APP_CONFIG) config: StreamerConfig,
  ) {
    mkdirSync(config.STREAMER_STATE_DIR, { recursive: true });
    this.store = new LevelStore(config.STREAMER_STATE_DIR);
    measureState(config.STREAMER_STATE_DIR);
    this.engine = new MembershipEngine(
      this.store,
      { send: (batches) => this.sendChanges(batches) },
      { report: (status) => this.report(status) },
      { purgeAfterMs: config.STREAMER_PURGE_AFTER_DAYS * 24 * 60 * 60 * 1000 },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.open();
    await this.tables.read(Topics.exportConfigs, async (exportId, config) => {
      await this.engine.applyConfig(exportId, config);
      this.applied.applied(exportId, config?.version ?? null);
    });
    this.logger.log(`export configurations loaded (${this.engine.exportIds().length} exports)`);
  }

  @ConsumeBatches(Topics.hashedSegmentEvents, { groupId: 'segment-streamer' })
  async handleEvents(messages: ReceivedMessage<HashedSegmentEvent>[]): Promise<void> {
    const events = messages.map((m) => m.value);
    await this.engine.handleEvents(events);
    countEvents(events);
  }

  @ConsumeBatches(Topics.runRequests, { groupId: 'segment-streamer.runs' })
  async handleRunRequests(messages: ReceivedMessage<RunRequest>[]): Promise<void> {
    for (const m of messages) await this.engine.handleRunRequest(m.value);
  }

  /** Erasures asked through the registry's API: applied as upstream `erase` events are. */
  @ConsumeBatches(Topics.erasureRequests, { groupId: 'segment-streamer.erasures' })
  async handleErasures(messages: ReceivedMessage<ErasureRequest>[]): Promise<void> {
    await this.engine.handleEvents(messages.map(({ value: { requestedBy: _, ...erase } }) => erase));
  }

  /** After the transport and the table readers stopped their consumers, so no batch is still writing. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  private async sendChanges(batches: ChangeBatch[]): Promise<void> {
    await Promise.all([...destinationMessages(batches)].map(([topic, messages]) => this.producer.send(topic, messages)));
    countChanges(batches);
  }

  private async report(status: Omit<RunStatus, 'stage' | 'at'>): Promise<void> {
    await this.producer.send(Topics.runStatusFromStreamer, [{ key: status.runId, value: { ...status, stage: 'segment-streamer', at: new Date().toISOString() } }]);
    countRunEnd(status);
  }
}
