import { configAppliedTopics, ServiceName, Topics } from '@audience-sync/contracts';
import { ContractProducer, TableReader } from '@audience-sync/kafka';
import { ConfigAppliedReporter } from './config-applied-reporter';
import { ExportTable } from './export-table';
import { RegistryClient } from './registry-client';
import { RunTracker } from './run-tracker';
import { Destination, HashedBatch, SinkRunner } from './sink-runner';

export interface SinkDefinition<B extends HashedBatch> {
  service: Extract<ServiceName, 'sink-facebook' | 'sink-microsoft-ads'>;
  runStatus: typeof Topics.runStatusFromFacebook;
  registryUrl: string;
  internalToken: string;
  /** The destination, given the registry client for access tokens. */
  destination: (registry: RegistryClient) => Destination<B>;
}

/**
 * What both sinks do at start, before their changes handler consumes: read the export table to
 * the end (and keep following it), reporting each configuration version applied for the registry
 * to show. The runner returned handles the changes.
 */
export async function startSink<B extends HashedBatch>(tables: TableReader, producer: ContractProducer, sink: SinkDefinition<B>): Promise<SinkRunner<B>> {
  const table = new ExportTable();
  const registry = new RegistryClient(sink.registryUrl, sink.internalToken);
  const tracker = new RunTracker(sink.service, (status) => producer.send(sink.runStatus, [{ key: status.runId, value: { ...status, at: new Date().toISOString() } }]));
  const runner = new SinkRunner<B>(table, tracker, sink.destination(registry), registry);
  const applied = new ConfigAppliedReporter(sink.service, (messages) => producer.send(configAppliedTopics[sink.service], messages));
  await tables.read(Topics.exportConfigs, async (exportId, config) => {
    table.apply(exportId, config);
    applied.applied(exportId, config?.version ?? null);
  });
  return runner;
}
