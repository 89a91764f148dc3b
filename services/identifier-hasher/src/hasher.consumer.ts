import { Controller, OnApplicationBootstrap } from '@nestjs/common';
import { ExportConfig, SegmentEvent, Topics } from '@audience-sync/contracts';
import { ConsumeBatches, ContractProducer, ReceivedMessage, TableReader } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from '@audience-sync/delivery';
import { attributeRules } from '@audience-sync/destinations';
import { hashEvent } from '@audience-sync/identifiers';
import { countHashed } from './hasher-metrics';

/**
 * The first stage: upstream segment events in, the same events with every attribute hashed by
 * the rules the exports apply to it out. Past this point no plain personal data exists. The
 * export table is read at bootstrap and followed; each configuration applied is reported, so an
 * export shows as active only once its attributes are hashed by its rules.
 */
@Controller()
export class HasherConsumer implements OnApplicationBootstrap {
  private readonly configs = new Map<string, ExportConfig>();
  private rules = new Map<string, string[]>();
  private readonly applied = new ConfigAppliedReporter('identifier-hasher', (messages) => this.producer.send(Topics.configAppliedByHasher, messages));

  constructor(
    private readonly tables: TableReader,
    private readonly producer: ContractProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
    const hashed = messages.flatMap(({ key, value }) => hashEvent(value, rules).map((event) => ({ key, value: event })));
    await this.producer.send(Topics.hashedSegmentEvents, hashed);
    countHashed(
      messages.map((m) => m.value),
      hashed.map((m) => m.value),
    );
  }
}
