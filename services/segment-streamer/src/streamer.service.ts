import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { mkdirSync } from 'node:fs';
import { APP_CONFIG } from '@audience-sync/config';
import { AudienceChangeBatch, RunStatus, Topics } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, KAFKA, readTable } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from '@audience-sync/delivery';
import { MembershipEngine } from './engine/membership-engine';
import { LevelStore } from './engine/level-store';
import { StreamerConfig } from './config';

/**
 * Wires the engine to Kafka: the export-config table first (so no event meets an empty table),
 * then segment events and run requests. Changes are produced before the consumed offsets commit.
 * Each configuration the engine has applied is reported, for the registry to show.
 */
@Injectable()
export class StreamerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StreamerService.name);
  readonly engine: MembershipEngine;
  private readonly store: LevelStore;
  private readonly applied = new ConfigAppliedReporter('segment-streamer', (messages) => this.producer.send(Topics.configAppliedByStreamer, messages));

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly consumers: BatchConsumers,
    private readonly producer: ContractProducer,
    @Inject(APP_CONFIG) config: StreamerConfig,
  ) {
    mkdirSync(config.STREAMER_STATE_DIR, { recursive: true });
    this.store = new LevelStore(config.STREAMER_STATE_DIR);
    this.engine = new MembershipEngine(
      this.store,
      { send: (batches) => this.sendChanges(batches) },
      { report: (status) => this.report(status) },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.open();
    await readTable(this.kafka, this.consumers, 'segment-streamer', Topics.exportConfigs, async (exportId, config) => {
      await this.engine.applyConfig(exportId, config);
      this.applied.applied(exportId, config?.version ?? null);
    });
    this.logger.log(`export configurations loaded (${this.engine.exportIds().length} exports)`);
    await this.consumers
      .create({ groupId: 'segment-streamer', topic: Topics.segmentEvents, handle: (messages) => this.engine.handleEvents(messages.map((m) => m.value)) })
      .start();
    await this.consumers
      .create({
        groupId: 'segment-streamer.runs',
        topic: Topics.runRequests,
        handle: async (messages) => {
          for (const m of messages) await this.engine.handleRunRequest(m.value);
        },
      })
      .start();
  }

  /** After the consumers stopped (beforeApplicationShutdown), so no batch is still writing. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  private async sendChanges(batches: AudienceChangeBatch[]): Promise<void> {
    await this.producer.send(
      Topics.audienceChanges,
      batches.map((b) => ({ key: `${b.audience.exportId}/${b.audience.audienceKey}`, value: b })),
    );
  }

  private async report(status: Omit<RunStatus, 'stage' | 'at'>): Promise<void> {
    await this.producer.send(Topics.runStatusFromStreamer, [{ key: status.runId, value: { ...status, stage: 'segment-streamer', at: new Date().toISOString() } }]);
  }
}
