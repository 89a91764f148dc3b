import { Kafka, logLevel } from 'kafkajs';
import { ConfigApplied, configAppliedTopics, PipelineStage, pipelineStageSchema } from '@audience-sync/contracts';
import { eventually, testBrokers, uniqueName } from './env';

/**
 * Reads the stages' reports of the export configurations they applied, from the beginning, for
 * tests of stages that run without a registry (or of exports it no longer shows): every report in
 * order, per stage and export; null where the stage applied the export's deletion.
 */
export class AppliedConfigs {
  private readonly reports = new Map<string, (number | null)[]>();
  private consumer?: ReturnType<Kafka['consumer']>;

  /** The stages whose topics exist by the time `start` is called (each service creates its own). */
  constructor(private readonly stages: readonly PipelineStage[] = pipelineStageSchema.options) {}

  async start(): Promise<void> {
    this.consumer = new Kafka({ clientId: 'applied-configs', brokers: testBrokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('applied-configs') });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.stages.map((s) => configAppliedTopics[s].name), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const stage = this.stages.find((s) => configAppliedTopics[s].name === topic)!;
        const key = `${stage}/${message.key!.toString()}`;
        const value = message.value ? (JSON.parse(message.value.toString()) as ConfigApplied).version : null;
        this.reports.set(key, [...(this.reports.get(key) ?? []), value]);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }

  /** Every report of one stage for one export, oldest first. */
  of(stage: PipelineStage, exportId: string): (number | null)[] {
    return this.reports.get(`${stage}/${exportId}`) ?? [];
  }

  /** Until each stage has applied at least `version` of the export, or its deletion (`null`). */
  async until(stages: PipelineStage[], exportId: string, version: number | null, timeoutMs = 30000): Promise<void> {
    const reached = (stage: PipelineStage) => {
      const latest = this.of(stage, exportId).at(-1);
      return version === null ? latest === null : latest != null && latest >= version;
    };
    await eventually(() => stages.every(reached), timeoutMs, `${stages.join(' and ')} to apply ${version === null ? 'the deletion' : `version ${version}`} of export ${exportId}`);
  }
}
