import { createHash } from 'node:crypto';
import { ExportConfig, FacebookChangeBatch, RunContext, RunStatus, Topics } from '@audience-sync/contracts';
import { z } from 'zod';
import { ExportTable, ReauthenticationRequired, RegistryClient, RunTracker, SinkRunner, sinkConfig } from '@audience-sync/delivery';
import { BatchContext } from '@audience-sync/kafka';
import { FacebookDelivery, facebookDeliveryEnv, GraphClient } from '../../libs/destinations/src/facebook-ads/delivery';
import { Emulators } from '../../tools/emulators/main';

/**
 * The Facebook sink's own classes (SinkRunner → FacebookDelivery → GraphClient) wired to an
 * in-process Facebook emulator, without Kafka or the registry: specs hand it batches as the
 * consumer would. Throwing a SinkProcess away and making another is a crash: everything the sink
 * kept in memory is gone, the emulator keeps what it received.
 */

export const EXPORT_ID = 'export-1';
export const CONNECTION_ID = 'connection-1';
export const AD_ACCOUNT = '1001';

/** The digest of a test profile's email, one row of the EMAIL schema. */
export const row = (i: number): string[] => [createHash('sha256').update(`user${i}@example.com`).digest('hex')];
export const rows = (from: number, to: number): string[][] => Array.from({ length: to - from }, (_, i) => row(from + i));

export function facebookExport(audienceId: string, version = 1): ExportConfig {
  return {
    exportId: EXPORT_ID,
    version,
    displayName: 'fb',
    connectionId: CONNECTION_ID,
    connectionState: 'active',
    segments: [{ id: 's', name: 's' }],
    maxProfiles: 10_000_000,
    updatedAt: '2026-11-01T00:00:00Z',
    destination: { type: 'facebook-ads', adAccountId: AD_ACCOUNT, audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } },
  };
}

/** Live changes for the audience. */
export function deltaBatch(audienceId: string, adds: string[][], removes: string[][] = []): FacebookChangeBatch {
  return batch(audienceId, { kind: 'delta' }, adds, removes);
}

/** Batch `seq` of `total` of full-sync run `runId`: the audience's whole membership, in parts. */
export function fullSyncBatch(audienceId: string, runId: string, seq: number, total: number, adds: string[][]): FacebookChangeBatch {
  const last = seq === total;
  return batch(audienceId, { kind: 'full-sync', runId, seq, last }, adds, [], { runId, trigger: 'refresh', audiences: 1, last, fills: true });
}

function batch(audienceId: string, mode: FacebookChangeBatch['mode'], adds: string[][], removes: string[][], run?: RunContext): FacebookChangeBatch {
  return {
    batchId: `b-${mode.kind === 'full-sync' ? `${mode.runId}-${mode.seq}` : 'delta'}`,
    audience: { exportId: EXPORT_ID, exportVersion: 1, connectionId: CONNECTION_ID, destination: 'facebook-ads', audienceKey: audienceId },
    mode,
    ...(run ? { run } : {}),
    schema: ['EMAIL'],
    adds,
    removes,
    counts: { droppedValues: {}, rejectedRows: 0 },
  };
}

/** The registry as the sink sees it: hands out the emulator's token (none: re-authentication needed), records auth failures. */
export class StandInRegistry {
  readonly authFailures: string[] = [];
  readonly problems: string[] = [];
  readonly termsProblems: { connectionId: string; problem: string }[] = [];

  constructor(public token: string | undefined) {}

  async accessToken(connectionId: string): Promise<string> {
    if (this.token === undefined) throw new ReauthenticationRequired(`connection ${connectionId} needs re-authentication`);
    return this.token;
  }

  forget(): void {}

  async reportAuthFailure(connectionId: string): Promise<void> {
    this.authFailures.push(connectionId);
  }

  async reportExportProblem(_exportId: string, problem: string): Promise<void> {
    this.problems.push(problem);
  }

  async reportTermsProblem(connectionId: string, problem: string): Promise<void> {
    this.termsProblems.push({ connectionId, problem });
  }
}

export interface SinkOptions {
  /** Environment overrides for the sink's configuration (strings, as in the environment). */
  env?: Record<string, string>;
  rowsPerRequest?: number;
}

/** One life of the sink process: its table, run tracker, delivery and Graph client. */
export class SinkProcess {
  /** Every wait the Graph client asked for (ms), in order; none is actually taken. */
  readonly waits: number[] = [];
  readonly statuses: Omit<RunStatus, 'at'>[] = [];
  readonly delivery: FacebookDelivery;
  readonly ctx: BatchContext = { topic: Topics.facebookChanges.name, partition: 0, heartbeat: async () => undefined, signal: new AbortController().signal };
  private readonly runner: SinkRunner<FacebookChangeBatch>;

  constructor(emulators: Emulators, registry: StandInRegistry, audienceId: string, options: SinkOptions = {}) {
    const config = z.object({ ...sinkConfig, ...facebookDeliveryEnv }).parse({
      INTERNAL_API_TOKEN: 'x'.repeat(32),
      FACEBOOK_GRAPH_BASE_URL: `${emulators.facebook.url}/v27.0`,
      SINK_BACKOFF_BASE_MS: '1',
      SINK_BACKOFF_MAX_MS: '5',
      ...options.env,
    });
    const graph = new GraphClient(config, registry as unknown as RegistryClient, async (ms) => {
      this.waits.push(ms);
    });
    this.delivery = new FacebookDelivery(graph, options.rowsPerRequest);
    const table = new ExportTable();
    table.apply(EXPORT_ID, facebookExport(audienceId));
    const tracker = new RunTracker('sink-facebook', async (status) => {
      this.statuses.push(status);
    });
    this.runner = new SinkRunner(table, tracker, this.delivery, registry);
  }

  /** Delivers the batches as one consumer fetch; rejects when the batch would be fetched again. */
  handle(batches: FacebookChangeBatch[]): Promise<void> {
    return this.runner.handle(
      batches.map((value, i) => ({ key: `${EXPORT_ID}/${value.audience.audienceKey}`, value, partition: 0, offset: String(i), timestamp: '0', headers: {} })),
      this.ctx,
    );
  }

  /** The run's last reported state as this process saw it. */
  lastStatus(runId: string): Omit<RunStatus, 'at'> | undefined {
    return this.statuses.filter((s) => s.runId === runId).at(-1);
  }
}
