import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, SASLOptions } from 'kafkajs';
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
  /** Opt-in: clients must sign in (SASL/SCRAM-SHA-512) and need ACLs; without it, PLAINTEXT for anyone. */
  secure?: SecureKafkaOptions;
}

export interface KafkaUser {
  name: string;
  /** Letters, digits, `_` and `-` only: it goes into the broker's JAAS line and the format tool's argument unquoted. */
  password: string;
}

export interface SecureKafkaOptions {
  /** The super user (`User:admin`), which also authenticates the broker to itself and its controller. */
  adminPassword: string;
  /** SCRAM credentials created at format time, e.g. one per service. */
  users: KafkaUser[];
}

/** The secure broker's SCRAM mechanism, as kafkajs names it. */
export const SECURE_KAFKA_MECHANISM = 'scram-sha-512';

/**
 * Formats the storage if needed and starts one KRaft node that is broker and controller.
 * `launch` runs the broker: startManaged by default, a restarting supervisor for the stack.
 */
export async function startKafka(libs: string, options: KafkaStartOptions, launch: Launcher = startManaged): Promise<LocalKafka> {
  mkdirSync(options.dataDir, { recursive: true });
  const properties = join(options.dataDir, 'server.properties');
  const log4j = join(options.dataDir, 'log4j.properties');
  const { secure } = options;
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
      'controller.listener.names=CONTROLLER',
      ...(secure ? secureListeners(options.port, options.controllerPort, secure) : plaintextListeners(options.port, options.controllerPort)),
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
  // SCRAM credentials live in the cluster metadata: the format writes them, before any client can sign in.
  const scram = secure ? [secureAdmin(secure), ...secure.users].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]) : [];
  await runToCompletion('java', ['-cp', classpath, `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties, '--ignore-formatted', ...scram], {});
  const proc = launch(
    'kafka',
    'java',
    ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, '-cp', classpath, 'kafka.Kafka', properties],
    options.logFile,
  );
  const brokers = [`127.0.0.1:${options.port}`];
  await waitForPort('127.0.0.1', options.port, 60000, () => proc.alive());
  await waitForKafka(brokers, 60000, secure && secureAdminSasl(secure));
  return { brokers, process: proc };
}

function plaintextListeners(port: number, controllerPort: number): string[] {
  return [
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
  ];
}

/**
 * Clients sign in with SCRAM-SHA-512 and may do only what an ACL allows them (admin: everything).
 * The controller listener uses PLAIN with a static admin entry: SCRAM credentials are metadata,
 * which the controller itself serves, so they cannot authenticate the way to it.
 */
function secureListeners(port: number, controllerPort: number, secure: SecureKafkaOptions): string[] {
  const admin = secureAdmin(secure);
  for (const u of [admin, ...secure.users]) {
    if (!/^[A-Za-z0-9_-]+$/.test(u.name) || !/^[A-Za-z0-9_-]+$/.test(u.password)) throw new Error(`Kafka user ${u.name}: use only letters, digits, _ and - in names and passwords`);
  }
  const credentials = `username="${admin.name}" password="${admin.password}"`;
  return [
    `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required ${credentials};`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${credentials} user_${admin.name}="${admin.password}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin.name}`,
    'allow.everyone.if.no.acl.found=false',
  ];
}

function secureAdmin(secure: SecureKafkaOptions): KafkaUser {
  return { name: 'admin', password: secure.adminPassword };
}

/** How the super user signs in to a secure local broker. */
export function secureAdminSasl(secure: SecureKafkaOptions): SASLOptions {
  return { mechanism: SECURE_KAFKA_MECHANISM, username: 'admin', password: secure.adminPassword };
}

/** Ready when the cluster answers metadata requests (signed in with `sasl` on a secure broker). */
export async function waitForKafka(brokers: string[], timeoutMs: number, sasl?: SASLOptions): Promise<void> {
  const kafka = new Kafka({ clientId: 'infra-probe', brokers, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 });
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
