import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, projectRoot } from './paths';
import { ManagedProcess, runToCompletion, startManaged, waitForPort } from './process';

export const KAFKA_VERSION = '3.9.1';

export interface LocalKafka {
  brokers: string[];
  process: ManagedProcess;
}

function installDir(): string {
  return join(cacheDir(), `kafka-${KAFKA_VERSION}`);
}

/** Resolves Kafka and its runtime dependencies from Maven Central into the cache, once. */
export async function installKafka(say: (line: string) => void): Promise<string> {
  const libs = join(installDir(), 'libs');
  if (existsSync(join(installDir(), '.complete'))) return libs;
  say(`installing Apache Kafka ${KAFKA_VERSION} from Maven Central into ${installDir()} (first time only)`);
  const staging = `${libs}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(installDir(), { recursive: true });
  let count = 0;
  await runToCompletion(
    'mvn',
    ['-B', '-f', join(projectRoot(), 'deploy', 'local', 'kafka', 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`],
    {
      progress: (line) => {
        if (line.startsWith('Downloaded from')) {
          count += 1;
          if (count % 10 === 0) say(`  kafka: ${count} artifacts downloaded`);
        }
      },
    },
  );
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(join(installDir(), '.complete'), new Date().toISOString());
  say(`  kafka: installed (${readdirSync(libs).length} jars)`);
  return libs;
}

export interface KafkaStartOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
}

/** Formats the storage if needed and starts one KRaft node that is broker and controller. */
export async function startKafka(libs: string, options: KafkaStartOptions): Promise<LocalKafka> {
  mkdirSync(options.dataDir, { recursive: true });
  const properties = join(options.dataDir, 'server.properties');
  const log4j = join(options.dataDir, 'log4j.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
      'controller.listener.names=CONTROLLER',
      `listeners=PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${options.port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'num.partitions=1',
      `log.dirs=${join(options.dataDir, 'logs')}`,
      'log.retention.hours=24',
    ].join('\n'),
  );
  writeFileSync(
    log4j,
    ['log4j.rootLogger=INFO, stdout', 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender', 'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n', 'log4j.logger.kafka=INFO', 'log4j.logger.org.apache.kafka=WARN'].join('\n'),
  );
  const classpath = `${libs}/*`;
  const clusterId = persistentClusterId(options.dataDir);
  await runToCompletion('java', ['-cp', classpath, `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties, '--ignore-formatted'], {});
  const proc = startManaged(
    'kafka',
    'java',
    ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, '-cp', classpath, 'kafka.Kafka', properties],
    options.logFile,
  );
  const brokers = [`127.0.0.1:${options.port}`];
  const alive = () => proc.child.exitCode === null;
  await waitForPort('127.0.0.1', options.port, 60000, alive);
  await waitForKafka(brokers, 60000);
  return { brokers, process: proc };
}

/** A data directory keeps its cluster id: a restart on existing data must present the same one. */
function persistentClusterId(dataDir: string): string {
  const meta = join(dataDir, 'logs', 'meta.properties');
  const formatted = existsSync(meta) ? /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim() : undefined;
  if (formatted) return formatted;
  const file = join(dataDir, 'cluster.id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomBytes(16).toString('base64url');
  writeFileSync(file, id);
  return id;
}

/** Ready when the cluster answers metadata requests. */
export async function waitForKafka(brokers: string[], timeoutMs: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'infra-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
