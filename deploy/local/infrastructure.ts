import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installKafka, startKafka, waitForKafka } from './kafka';
import { installFerretDb, startFerretDb } from './ferretdb';
import { dockerAvailable, startContainers, startComposeInfrastructure } from './docker';
import { Launcher, freePort, startManaged } from './process';
import { Supervisor } from './supervisor';

export type InfrastructureSource = 'environment' | 'docker' | 'local';

export interface Infrastructure {
  kafkaBrokers: string[];
  /** A MongoDB URI without a database name; see withDatabase. */
  mongoUri: string;
  sources: { kafka: InfrastructureSource; database: InfrastructureSource };
  /** Processes started locally (the command's own pid), for resource measurements. */
  pids?: { kafka: number; database: number };
  stop(): Promise<void>;
}

export interface InfrastructureOptions {
  /** `test`: fresh data and free ports per run. `stack`: fixed ports and data kept under dataDir. */
  purpose: 'test' | 'stack';
  dataDir?: string;
  kafkaPort?: number;
  kafkaControllerPort?: number;
  mongoPort?: number;
  say?: (line: string) => void;
  /** The stack's supervisor: the broker and database it starts are restarted when they crash. */
  supervisor?: Supervisor;
}

/**
 * Finds or starts a Kafka broker and a MongoDB-wire database, in this order: addresses given in
 * the environment (KAFKA_BROKERS, MONGODB_URI), a Docker engine (testcontainers for tests,
 * docker compose for the stack), or installing and running them locally from the registries.
 */
export async function provideInfrastructure(options: InfrastructureOptions): Promise<Infrastructure> {
  const say = options.say ?? ((line: string) => process.stdout.write(`[infra] ${line}\n`));
  const envKafka = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  const envMongo = process.env.MONGODB_URI;
  if (envKafka?.length && envMongo) {
    say(`using KAFKA_BROKERS=${envKafka.join(',')} and MONGODB_URI from the environment`);
    await waitForKafka(envKafka, 30000);
    return { kafkaBrokers: envKafka, mongoUri: stripDatabase(envMongo), sources: { kafka: 'environment', database: 'environment' }, stop: async () => undefined };
  }
  if (await dockerAvailable()) {
    say('a Docker engine is reachable: using containers');
    const started = options.purpose === 'test' ? await startContainers(say) : await startComposeInfrastructure(options.dataDir!, say);
    return {
      kafkaBrokers: envKafka?.length ? envKafka : started.kafkaBrokers,
      mongoUri: envMongo ? stripDatabase(envMongo) : started.mongoUri,
      sources: { kafka: envKafka?.length ? 'environment' : 'docker', database: envMongo ? 'environment' : 'docker' },
      stop: started.stop,
    };
  }
  return startLocal(options, say, envKafka, envMongo);
}

async function startLocal(options: InfrastructureOptions, say: (line: string) => void, envKafka?: string[], envMongo?: string): Promise<Infrastructure> {
  const ephemeral = options.purpose === 'test';
  const dataDir = ephemeral ? mkdtempSync(join(tmpdir(), 'audience-sync-')) : options.dataDir!;
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    await Promise.all(stops.map((s) => s()));
    if (ephemeral) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Install both first (in parallel: one is Maven's download, the other Go's compile).
    const [libs, ferretdb] = await Promise.all([
      envKafka?.length ? Promise.resolve(undefined) : installKafka(say),
      envMongo ? Promise.resolve(undefined) : installFerretDb(say),
    ]);
    let kafkaBrokers = envKafka ?? [];
    const pids = { kafka: 0, database: 0 };
    const launcher = (address: string): Launcher => options.supervisor?.launcher({ addresses: [address] }) ?? startManaged;
    if (libs) {
      const port = options.kafkaPort ?? (ephemeral ? await freePort() : 9092);
      const controllerPort = options.kafkaControllerPort ?? (ephemeral ? await freePort() : port + 1);
      say(`starting Kafka ${ephemeral ? '(fresh data)' : `(data in ${dataDir})`} on 127.0.0.1:${port}`);
      const kafka = await startKafka(libs, { port, controllerPort, dataDir: join(dataDir, 'kafka'), logFile: join(dataDir, 'kafka.log'), say }, launcher(`127.0.0.1:${port}`));
      stops.push(() => kafka.process.stop());
      pids.kafka = kafka.process.pid() ?? 0;
      kafkaBrokers = kafka.brokers;
    }
    let mongoUri = envMongo ? stripDatabase(envMongo) : '';
    if (ferretdb) {
      const port = options.mongoPort ?? (ephemeral ? await freePort() : 27017);
      say(`starting FerretDB on 127.0.0.1:${port}`);
      const db = await startFerretDb(ferretdb, { port, dataDir: join(dataDir, 'ferretdb'), logFile: join(dataDir, 'ferretdb.log') }, launcher(`127.0.0.1:${port}`));
      stops.push(() => db.process.stop());
      pids.database = db.process.pid() ?? 0;
      mongoUri = `mongodb://127.0.0.1:${port}`;
    }
    say(`ready: Kafka ${kafkaBrokers.join(',')}, database ${mongoUri} (logs in ${dataDir})`);
    return {
      kafkaBrokers,
      mongoUri,
      sources: { kafka: envKafka?.length ? 'environment' : 'local', database: envMongo ? 'environment' : 'local' },
      pids,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The server part of a MongoDB URI, so callers can choose their database. */
export function stripDatabase(uri: string): string {
  const url = new URL(uri);
  url.pathname = '/';
  return url.toString().replace(/\/$/, '').replace(/\/\?/, '/?');
}

/** The same server with another database, keeping options such as directConnection. */
export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}
