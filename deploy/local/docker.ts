import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { requiredVariables } from './compose';
import { projectRoot } from './paths';
import { waitForKafka } from './kafka';
import { waitForPort } from './process';

const exec = promisify(execFile);

export interface StartedContainers {
  kafkaBrokers: string[];
  mongoUri: string;
  stop(): Promise<void>;
}

/** True when testcontainers can reach a Docker (or compatible) engine. */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.AUDIENCE_SYNC_NO_DOCKER === '1') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Tests: a throw-away Kafka (KRaft) and MongoDB per run. */
export async function startContainers(say: (line: string) => void): Promise<StartedContainers> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  say('starting Kafka and MongoDB containers');
  const [kafka, mongo] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start(),
    new MongoDBContainer('mongo:7.0').start(),
  ]);
  const mongoUrl = new URL(mongo.getConnectionString());
  mongoUrl.searchParams.set('directConnection', 'true');
  return {
    kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    mongoUri: mongoUrl.toString().replace(/\/$/, ''),
    stop: async () => {
      await Promise.all([kafka.stop(), mongo.stop()]);
    },
  };
}

/** npm start's own compose project, apart from `docker compose up`'s: their volumes never mix. */
const DEV_PROJECT = 'audience-sync-dev';
const DEV_COMPOSE_FILES = ['docker-compose.yml', join('deploy', 'compose', 'dev-infra.yml')];

/**
 * The stack: the kafka and mongodb services of docker-compose.yml, opened on this machine's
 * loopback by deploy/compose/dev-infra.yml, left running for the next start.
 */
export async function startComposeInfrastructure(dataDir: string, say: (line: string) => void): Promise<StartedContainers> {
  say(`docker compose -p ${DEV_PROJECT} up -d kafka mongodb (on 127.0.0.1 only)`);
  const files = DEV_COMPOSE_FILES.flatMap((file) => ['-f', join(projectRoot(), file)]);
  await exec('docker', ['compose', '-p', DEV_PROJECT, ...files, 'up', '-d', 'kafka', 'mongodb'], {
    cwd: projectRoot(),
    env: { ...process.env, ...devComposeSecrets(dataDir) },
  });
  const kafkaPort = Number(process.env.KAFKA_PORT ?? 9092);
  const mongoPort = Number(process.env.MONGODB_PORT ?? 27017);
  await waitForPort('127.0.0.1', mongoPort, 60000, () => true);
  const kafkaBrokers = [`127.0.0.1:${kafkaPort}`];
  await waitForKafka(kafkaBrokers, 60000);
  return {
    kafkaBrokers,
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`,
    stop: async () => say(`the compose infrastructure keeps running; stop it with: docker compose -p ${DEV_PROJECT} down`),
  };
}

/**
 * docker-compose.yml refuses to start without its secrets; the development project gets its own,
 * made once and kept in the data directory (kafka's SCRAM users are made with them on its first
 * start, and a changed value would recreate the container on every start).
 */
export function devComposeSecrets(dataDir: string): Record<string, string> {
  const file = join(dataDir, 'compose-dev-secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const required = requiredVariables(readFileSync(join(projectRoot(), 'docker-compose.yml'), 'utf8'));
  const missing = required.filter((name) => !(name in kept));
  if (missing.length === 0) return kept;
  const secrets = { ...kept, ...Object.fromEntries(missing.map((name) => [name, randomBytes(32).toString('hex')])) };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
