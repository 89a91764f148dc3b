import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
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

/** The stack: the kafka and mongodb services of docker-compose.yml, left running for the next start. */
export async function startComposeInfrastructure(say: (line: string) => void): Promise<StartedContainers> {
  say('docker compose up -d kafka mongodb');
  await exec('docker', ['compose', '-f', join(projectRoot(), 'docker-compose.yml'), 'up', '-d', 'kafka', 'mongodb'], { cwd: projectRoot() });
  const kafkaPort = Number(process.env.KAFKA_PORT ?? 9092);
  const mongoPort = Number(process.env.MONGODB_PORT ?? 27017);
  await waitForPort('127.0.0.1', mongoPort, 60000, () => true);
  const kafkaBrokers = [`127.0.0.1:${kafkaPort}`];
  await waitForKafka(kafkaBrokers, 60000);
  return {
    kafkaBrokers,
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`,
    stop: async () => say('the compose infrastructure keeps running; stop it with: docker compose down'),
  };
}
