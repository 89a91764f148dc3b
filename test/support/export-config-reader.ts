import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@audience-sync/contracts';
import { testBrokers, uniqueName } from './env';

/** Follows the export-config table as the pipeline sees it: export id → its latest config, null once deleted. */
export class ExportConfigReader {
  readonly configs = new Map<string, any>();
  private readonly consumer = new Kafka({ clientId: uniqueName('config-reader'), brokers: testBrokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('config-reader') });

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.exportConfigs.name, fromBeginning: true });
    await this.consumer.run({ eachMessage: async ({ message }) => void this.configs.set(message.key!.toString(), message.value ? JSON.parse(message.value.toString()) : null) });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
