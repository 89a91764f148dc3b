import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, projectRoot } from './paths';
import { clusterIdFor } from './cluster-id';
import { withInstallLock } from './install-lock';
import { Launcher, RunningProcess, runToCompletion, startManaged, waitForPort } from './process';

export const KAFKA_VERSION = '3.9.1';

export interface LocalKafka {
  brokers: string[];
  process: RunningProcess;
}

function installDir(): string {
  return join(cacheDir(), `kafka-${KAFKA_VERSION}`);
}

/** Resolves Kafka and its runtime dependencies from Maven Central into the cache, once. */
export async function installKafka(say: (line: string) => void): Promise<string> {
  const libs = join(installDir(), 'libs');
  const complete = join(installDir(), '.complete');
  if (existsSync(complete)) return libs;
  mkdirSync(installDir(), { recursive: true });
  return withInstallLock(installDir(), `Kafka ${KAFKA_VERSION}`, say, async () => {
    if (existsSync(complete)) return libs;
    say(`installing Apache Kafka ${KAFKA_VERSION} from Maven Central into ${installDir()} (first time only)`);
    const staging = `${libs}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
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
    writeFileSync(complete, new Date().toISOString());
    say(`  kafka: installed (${readdirSync(libs).length} jars)`);
    return libs;
  });
}

export interface KafkaStartOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  say?: (line: string) => void;
}

/**
 * Formats the storage if needed and starts one KRaft node that is broker and controller.
 * `launch` runs the broker: startManaged by default, a restarting supervisor for the stack.
 */
export async function startKafka(libs: string, options: KafkaStartOptions, launch: Launcher = startManaged): Promise<LocalKafka> {
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
  // `--cluster-id=<id>`: one argument, which no id can turn into an option.
  const clusterId = clusterIdFor(options.dataDir, options.say);
  await runToCompletion('java', ['-cp', classpath, `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties, '--ignore-formatted'], {});
  const proc = launch(
    'kafka',
    'java',
    ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, '-cp', classpath, 'kafka.Kafka', properties],
    options.logFile,
  );
  const brokers = [`127.0.0.1:${options.port}`];
  await waitForPort('127.0.0.1', options.port, 60000, () => proc.alive());
  await waitForKafka(brokers, 60000);
  return { brokers, process: proc };
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
