import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Kafka, KafkaMessage } from 'kafkajs';
import { Topics, TopicSpec } from '@audience-sync/contracts';
import { createKafka, ensureTopics, KafkaSecurity, SaslMechanism } from '@audience-sync/kafka';
import { installKafka, LocalKafka, SECURE_KAFKA_MECHANISM, startKafka } from '../../deploy/local/kafka';
import { freePort } from '../../deploy/local/process';
import { projectRoot } from '../../deploy/local/paths';
import { principals, KafkaPrincipal } from '../../tools/kafka-acls/acls';
import { applyAcls } from '../../tools/kafka-acls/main';
import { RunningService, startService } from '../../tools/services';
import { StateChangelog } from '../../services/segment-streamer/src/changelog/state-changelog';
import { eventually, uniqueName } from '../support/env';

/**
 * A broker of its own in secure mode (SASL/SCRAM, StandardAuthorizer, no ACL = denied), the ACLs
 * the tool applies, and what each user can and cannot do with them.
 */
describe('Kafka users and ACLs on a secure broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-acls-'));
  const adminPassword = randomBytes(12).toString('hex');
  const passwords = new Map(principals.map((p) => [p, randomBytes(12).toString('hex')]));
  const mechanism = SECURE_KAFKA_MECHANISM as SaslMechanism;
  let kafka: LocalKafka | undefined;
  const clients: Kafka[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  const security = (username: string, password: string): KafkaSecurity => ({ sasl: { mechanism, username, password }, ssl: false });
  const as = (user: KafkaPrincipal | 'admin', password = user === 'admin' ? adminPassword : passwords.get(user)!) => {
    const client = createKafka({ clientId: `acl-test-${user}`, brokers: kafka!.brokers, security: security(user, password) }, 1);
    clients.push(client);
    return client;
  };

  async function produce(client: Kafka, topic: TopicSpec, value: string): Promise<void> {
    // Idempotent, as the services' producers are.
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic: topic.name, acks: -1, messages: [{ key: 'k', value }] });
    } finally {
      await producer.disconnect();
    }
  }

  async function consumeOne(client: Kafka, topic: TopicSpec, groupId: string): Promise<KafkaMessage> {
    const consumer = client.consumer({ groupId, allowAutoTopicCreation: false });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    const seen: KafkaMessage[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    return eventually(() => seen[0], 30000, `a message on ${topic.name} for group ${groupId}`);
  }

  beforeAll(async () => {
    const libs = await installKafka(() => undefined);
    kafka = await startKafka(libs, {
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir: join(dir, 'kafka'),
      logFile: join(dir, 'kafka.log'),
      secure: { adminPassword, users: principals.map((name) => ({ name, password: passwords.get(name)! })) },
    });
    await applyAcls(as('admin'), principals);
  }, 120000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    await kafka?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets each service set up, write and read its own topics', async () => {
    // Start-up as the services do it: each user creates the topics it uses.
    await ensureTopics(as('identifier-hasher'), [Topics.segmentEvents, Topics.exportConfigs, Topics.hashedSegmentEvents, Topics.configAppliedByHasher], { service: 'identifier-hasher' });
    await ensureTopics(as('segment-streamer'), [Topics.hashedSegmentEvents, Topics.facebookChanges], { service: 'segment-streamer' });

    await produce(as('upstream'), Topics.segmentEvents, 'from upstream');
    expect((await consumeOne(as('identifier-hasher'), Topics.segmentEvents, 'identifier-hasher')).value?.toString()).toBe('from upstream');
    await produce(as('identifier-hasher'), Topics.hashedSegmentEvents, 'from the hasher');
    expect((await consumeOne(as('segment-streamer'), Topics.hashedSegmentEvents, 'segment-streamer')).value?.toString()).toBe('from the hasher');
  });

  it('lets the streamer write its state changelog in transactions and restore it, and no one else take its transactional id', async () => {
    await ensureTopics(as('segment-streamer'), [Topics.streamerState], { service: 'segment-streamer' });
    const changelog = new StateChangelog(as('segment-streamer'), Topics.streamerState.name);
    cleanups.push(() => changelog.disconnect());
    await changelog.connect();
    await changelog.record([{ key: 'R\u0001s1', value: '7' }]);
    await changelog.flush();
    const restored: unknown[] = [];
    await changelog.restore(async (writes) => void restored.push(...writes), () => undefined);
    expect(restored).toEqual([{ key: 'R\u0001s1', value: '7' }]);

    const thief = as('identifier-hasher').producer({ transactionalId: `segment-streamer.${Topics.streamerState.name}`, idempotent: true, maxInFlightRequests: 1 });
    cleanups.push(() => thief.disconnect());
    // Refused when it looks for the transaction coordinator, which kafkajs reports as "not found".
    await expect(thief.connect().then(() => thief.transaction())).rejects.toThrow(/Failed to find group coordinator/);
  });

  it('refuses the hasher a topic it does not write, and a group not named after it', async () => {
    await ensureTopics(as('admin'), [Topics.facebookChanges]);
    await expect(produce(as('identifier-hasher'), Topics.facebookChanges, 'not mine')).rejects.toThrow(/Not authorized to access topics: \[Topic authorization failed\]/);
    const admin = as('admin').admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(Topics.facebookChanges.name);
    await admin.disconnect();
    expect(ends.map((p) => p.high)).toEqual(ends.map(() => '0'));

    // kafkajs reports a refused group only as "coordinator not found"; the broker's answer is in its log.
    const logged = jest.spyOn(Logger.prototype, 'error');
    const stranger = as('identifier-hasher').consumer({ groupId: uniqueName('sink-facebook') });
    cleanups.push(() => stranger.disconnect());
    await stranger.connect();
    await stranger.subscribe({ topic: Topics.segmentEvents.name, fromBeginning: true });
    const crashed = new Promise<Error>((resolve) => stranger.on(stranger.events.CRASH, ({ payload }) => resolve(payload.error)));
    await stranger.run({ eachMessage: async () => undefined });
    expect((await crashed).name).toBe('KafkaJSGroupCoordinatorNotFound');
    expect(logged.mock.calls.map(([line]) => String(line))).toContainEqual(expect.stringMatching(/Not authorized to access group: Group authorization failed/));
    logged.mockRestore();
  });

  it('refuses a wrong password', async () => {
    const admin = as('identifier-hasher', 'not-the-password').admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
  });

  it('runs a service from dist with the SASL variables until it is ready', async () => {
    const env = {
      KAFKA_BROKERS: kafka!.brokers.join(','),
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'identifier-hasher',
      KAFKA_SASL_PASSWORD: passwords.get('identifier-hasher')!,
    };
    let hasher: RunningService | undefined;
    try {
      hasher = await startService('identifier-hasher', 'HASHER_PORT', env);
      expect((await fetch(`http://127.0.0.1:${hasher.port}/health/ready`)).status).toBe(200);
    } finally {
      await hasher?.kill('SIGTERM');
    }
  });

  it('stops a service whose SASL settings are incomplete, naming the variable and not the value', async () => {
    const port = String(await freePort());
    const secret = `secret-${randomBytes(6).toString('hex')}`;
    const run = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'services', 'identifier-hasher', 'src', 'main.js')], {
      env: { ...process.env, KAFKA_BROKERS: kafka!.brokers.join(','), KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'identifier-hasher', KAFKA_SASL_PASSWORD: '', HASHER_PORT: port },
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(run.status).toBe(78); // EX_CONFIG, as for any bad setting
    expect(run.stderr).toMatch(/KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM is set/);
    const withPassword = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'services', 'identifier-hasher', 'src', 'main.js')], {
      env: { ...process.env, KAFKA_BROKERS: kafka!.brokers.join(','), KAFKA_SASL_PASSWORD: secret, HASHER_PORT: port },
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(withPassword.status).not.toBe(0);
    expect(withPassword.stderr).toMatch(/KAFKA_SASL_MECHANISM: is required/);
    expect(withPassword.stderr).not.toContain(secret);
  });
});
