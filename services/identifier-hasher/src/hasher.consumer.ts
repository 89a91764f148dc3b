import { Controller, Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ExportConfig, SegmentEvent, Topics } from '@audience-sync/contracts';
import { ConsumeBatches, ContractProducer, KAFKA, keyPartitioner, partitionCount, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from '@audience-sync/delivery';
import { attributeRules } from '@audience-sync/destinations';
import { hashEvent, Placement } from '@audience-sync/identifiers';
import { countHashed } from './hasher-metrics';

/**
 * The first stage: upstream segment events in, the same events with every attribute hashed by
 * the rules the exports apply to it out. Past this point no plain personal data exists. The
 * export table is read at bootstrap and followed; each configuration applied is reported, so an
 * export shows as active only once its attributes are hashed by its rules.
 * Output is partitioned by profile (a repartition: upstream keys membership events by segment), a
 * refresh part cut per partition, so everything about a profile meets on one partition; the
 * partition count is read at start.
 */
@Controller()
export class HasherConsumer implements OnApplicationBootstrap {
  private readonly configs = new Map<string, ExportConfig>();
  private rules = new Map<string, string[]>();
  private readonly logger = new Logger(HasherConsumer.name);
  private placement?: Promise<Placement>;
  private readonly applied = new ConfigAppliedReporter('identifier-hasher', (messages) => this.producer.send(Topics.configAppliedByHasher, messages));

  constructor(
    private readonly tables: TableReader,
    private readonly producer: ContractProducer,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {}

  /** Read once, whichever asks first: a refresh's slices must all be cut for the same count. */
  private place(): Promise<Placement> {
    this.placement ??= partitionCount(this.kafka, Topics.hashedSegmentEvents.name).then((partitions) => {
      this.logger.log(`hashed events go to the ${partitions} partitions of ${Topics.hashedSegmentEvents.name} by profile; after adding partitions to it, restart the hasher`);
      return { partitions, partitionOf: keyPartitioner(partitions) };
    });
    return this.placement;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.place();
    await this.tables.read(Topics.exportConfigs, async (exportId, config) => {
      if (config) this.configs.set(exportId, config);
      else this.configs.delete(exportId);
      this.rules = attributeRules(this.configs.values());
      this.applied.applied(exportId, config?.version ?? null);
    });
  }

  @ConsumeBatches(Topics.segmentEvents, { groupId: 'identifier-hasher', partitionsConsumedConcurrently: 3 })
  async handle(messages: ReceivedMessage<SegmentEvent>[]): Promise<void> {
    const rules = this.rules;
    const placement = await this.place();
    // Refresh slices keep the segment's key; the rest are keyed by their profile.
    const hashed = messages.flatMap(({ key, value }) => hashEvent(value, rules, placement).map(({ partition, event }) => ({ key: event.type === 'refresh' ? key : event.profileId, partition, value: event })));
    await this.producer.send(Topics.hashedSegmentEvents, hashed);
    countHashed(
      messages.map((m) => m.value),
      hashed.map((m) => m.value),
    );
  }
}
