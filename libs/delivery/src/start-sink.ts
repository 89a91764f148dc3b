import { Kafka } from 'kafkajs';
import { configAppliedTopics, ServiceName, Topics, TopicSpec } from '@audience-sync/contracts';
import { BatchConsumers, ContractProducer, readTable } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from './config-applied-reporter';
import { ExportTable } from './export-table';
import { RegistryClient } from './registry-client';
import { RunTracker } from './run-tracker';
import { Destination, HashedBatch, SinkRunner } from './sink-runner';

export interface SinkDefinition<B extends HashedBatch> {
  service: Extract<ServiceName, 'sink-facebook' | 'sink-microsoft-ads'>;
  changes: TopicSpec;
  runStatus: typeof Topics.runStatusFromFacebook;
  concurrency: number;
  registryUrl: string;
  internalToken: string;
  /** The destination, given the registry client for access tokens. */
  destination: (registry: RegistryClient) => Destination<B>;
}

/**
 * What both sinks do at start: read the export table to the end, then consume their changes. The
 * table is read on: each config the table has applied is reported, for the registry to show.
 */
export async function startSink<B extends HashedBatch>(kafka: Kafka, consumers: BatchConsumers, producer: ContractProducer, sink: SinkDefinition<B>): Promise<ExportTable> {
  const table = new ExportTable();
  const registry = new RegistryClient(sink.registryUrl, sink.internalToken);
  const tracker = new RunTracker(sink.service, (status) => producer.send(sink.runStatus, [{ key: status.runId, value: { ...status, at: new Date().toISOString() } }]));
  const runner = new SinkRunner<B>(table, tracker, sink.destination(registry), registry);
  const applied = new ConfigAppliedReporter(sink.service, (messages) => producer.send(configAppliedTopics[sink.service], messages));
  await readTable(kafka, consumers, sink.service, Topics.exportConfigs, async (exportId, config) => {
    table.apply(exportId, config);
    applied.applied(exportId, config?.version ?? null);
  });
  await consumers
    .create({ groupId: sink.service, topic: sink.changes, partitionsConsumedConcurrently: sink.concurrency, shutdownGraceMs: 15000, handle: (messages, ctx) => runner.handle(messages as never, ctx) })
    .start();
  return table;
}
