import { configAppliedTopics, ServiceName, Topics, TopicSpec } from '@audience-sync/contracts';
import { ContractProducer, TableReader } from '@audience-sync/kafka';
import { z } from 'zod';
import { AudienceReadBack } from './audience-read-back';
import { ConfigAppliedReporter } from './config-applied-reporter';
import { ExportTable } from './export-table';
import { RegistryClient } from './registry-client';
import { Publish, RunTracker } from './run-tracker';
import { readBackOptions, SinkConfig } from './sink-config';
import { Destination, HashedBatch, SinkRunner } from './sink-runner';

export type SinkService = Extract<ServiceName, 'sink-facebook' | 'sink-microsoft-ads'>;

/** What a sink host needs from the destination it hosts (a destination's delivery parts). */
export interface SinkDelivery<B extends HashedBatch, C extends SinkConfig = SinkConfig> {
  /** The deployed unit: its consumer group, the writer of its run status, the stage it reports as. */
  service: SinkService;
  /** Where its changes arrive. */
  changes: TopicSpec<z.ZodType<B>>;
  /** Where it reports run progress. */
  runStatus: typeof Topics.runStatusFromFacebook;
  /** The destination, given the sink's configuration and the registry client for access tokens. */
  create(config: C, registry: RegistryClient): Destination<B>;
}

/** A started sink: the runner handles the changes; `readBack` reads audience sizes after runs (closed at shutdown). */
export interface StartedSink<B extends HashedBatch> {
  runner: SinkRunner<B>;
  readBack: AudienceReadBack;
}

/**
 * What every sink does at start, before its changes handler consumes: read the export table to
 * the end (and keep following it), reporting each configuration version applied for the registry
 * to show.
 */
export async function startSink<B extends HashedBatch, C extends SinkConfig>(tables: TableReader, producer: ContractProducer, sink: SinkDelivery<B, C>, config: C): Promise<StartedSink<B>> {
  const table = new ExportTable();
  const registry = new RegistryClient(config.REGISTRY_INTERNAL_URL, config.INTERNAL_API_TOKEN);
  const destination = sink.create(config, registry);
  const publish: Publish = (status) => producer.send(sink.runStatus, [{ key: status.runId, value: { ...status, at: new Date().toISOString() } }]);
  const readBack = new AudienceReadBack((exportId) => table.get(exportId), destination, publish, readBackOptions(config));
  const tracker = new RunTracker(sink.service, publish, (run) => readBack.start(run));
  const runner = new SinkRunner<B>(table, tracker, destination, registry);
  const applied = new ConfigAppliedReporter(sink.service, (messages) => producer.send(configAppliedTopics[sink.service], messages));
  await tables.read(Topics.exportConfigs, async (exportId, config) => {
    table.apply(exportId, config);
    applied.applied(exportId, config?.version ?? null);
  });
  return { runner, readBack };
}
