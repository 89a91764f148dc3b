import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { TopicSpec } from '@audience-sync/contracts';
import { createKafka, ensureTopics } from '@audience-sync/kafka';
import { installKafka, LocalKafka, startKafka } from '../../deploy/local/kafka';
import { freePort } from '../../deploy/local/process';
import { testBrokers, uniqueName } from '../support/env';

const CLIENTS = 6;
const ROUNDS = 3;

function spec(name: string, partitions: number, cleanupPolicy: 'delete' | 'compact', maxMessageBytes?: number, retention: Pick<TopicSpec, 'retentionMs' | 'personalData'> = { retentionMs: 3_600_000, personalData: false }): TopicSpec {
  return { name, schema: z.unknown(), partitions, cleanupPolicy, maxMessageBytes, tombstones: false, key: 'none', writer: 'upstream', readers: [], ...retention };
}

/**
 * One round as a stack start makes it: every service (its own client) ensures the topics it
 * shares with the others plus its own dead-letter topic, all at once, on names nobody made yet.
 * Half the services also ensure the previous round's topics, which now exist (alterConfigs).
 */
function roundTopics(round: string): { shared: TopicSpec[]; own: (i: number) => TopicSpec } {
  const shared = [
    spec(`${round}.events.v1`, 6, 'delete', 16 * 1024 * 1024),
    spec(`${round}.configs.v1`, 3, 'compact'),
    spec(`${round}.changes.v1`, 6, 'delete', 8 * 1024 * 1024),
    spec(`${round}.facebook.v1`, 6, 'delete'),
    spec(`${round}.microsoft.v1`, 6, 'delete'),
    spec(`${round}.status-a.v1`, 3, 'delete'),
    spec(`${round}.status-b.v1`, 3, 'delete'),
  ];
  return { shared, own: (i) => spec(`${round}.dead-letters-${i}.v1`, 1, 'delete') };
}

async function leaderless(brokers: string[], topics: string[]): Promise<string[]> {
  const admin = new Kafka({ clientId: 'topic-check', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const missing = topics.filter((t) => !metadata.some((m) => m.name === t && m.partitions.length > 0));
    const noLeader = metadata.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}[${p.partitionId}]`));
    return [...missing, ...noLeader];
  } finally {
    await admin.disconnect();
  }
}

/**
 * `ballastPartitions`: another client creates one large topic in the same moment. The broker
 * applies metadata in order and creates each partition's log before the next change becomes
 * visible, so the new topics are known to the controller well before the broker answers for
 * them: the lag a loaded machine shows on its first start, made large enough to hit every time.
 */
async function race(brokers: string[], ballastPartitions = 0): Promise<void> {
  const clients = Array.from({ length: CLIENTS }, (_, i) => createKafka({ clientId: `race-${i}`, brokers }));
  const ballast = createKafka({ clientId: 'race-ballast', brokers });
  let previous: TopicSpec[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const { shared, own } = roundTopics(uniqueName(`race${r}`));
    // Each client lists its topics in its own order, as different services do.
    const wanted = clients.map((_, i) => [...(i % 2 === 0 ? shared : [...shared].reverse()), own(i), ...(i % 2 === 1 ? previous : [])]);
    const busy = ballastPartitions > 0 ? [ensureTopics(ballast, [spec(uniqueName('ballast'), ballastPartitions, 'delete')])] : [];
    const outcomes = await Promise.allSettled([...clients.map((kafka, i) => ensureTopics(kafka, wanted[i])), ...busy]);
    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`client ${i}: ${(o.reason as Error).message}`] : []));
    expect(failures).toEqual([]);
    const names = [...new Set(wanted.flat().map((t) => t.name))];
    expect(await leaderless(brokers, names)).toEqual([]);
    previous = shared;
  }
}

describe('ensureTopics when several services create the same topics at once', () => {
  it('succeeds on the shared broker, round after round', async () => {
    await race(testBrokers());
  });

  describe('on a brand-new KRaft broker', () => {
    let dir: string;
    let kafka: LocalKafka | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'topic-race-'));
      const libs = await installKafka(() => undefined);
      kafka = await startKafka(libs, { port: await freePort(), controllerPort: await freePort(), dataDir: join(dir, 'kafka'), logFile: join(dir, 'kafka.log') });
    }, 120000);

    afterAll(async () => {
      await kafka?.process.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('succeeds the moment the broker first answers, while it is busy creating a large topic', async () => {
      await race(kafka!.brokers, 300);
    });
  });
});

describe('ensureTopics sets each topic\'s retention', () => {
  const HOUR = 3_600_000;
  let admin: ReturnType<Kafka['admin']>;
  const kafka = () => createKafka({ clientId: 'retention', brokers: testBrokers() });

  beforeAll(async () => {
    admin = new Kafka({ clientId: 'retention-check', brokers: testBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(() => admin?.disconnect());

  async function retentionOf(topics: string[]): Promise<Record<string, string | undefined>> {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })) });
    return Object.fromEntries(resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'retention.ms')?.configValue]));
  }

  it('on topics it creates and on topics that exist, from the spec', async () => {
    const [created, table, existing] = [uniqueName('ret-new'), uniqueName('ret-table'), uniqueName('ret-old')];
    // An existing topic made without the spec (by hand, or by a release before retention was set): the broker's default.
    await admin.createTopics({ topics: [{ topic: existing, numPartitions: 1 }] });
    expect((await retentionOf([existing]))[existing]).not.toBe(String(2 * HOUR));
    await ensureTopics(kafka(), [
      spec(created, 1, 'delete', undefined, { retentionMs: 14 * 24 * HOUR, personalData: false }),
      spec(table, 1, 'compact', undefined, { retentionMs: -1, personalData: false }),
      spec(existing, 1, 'delete', undefined, { retentionMs: 2 * HOUR, personalData: false }),
    ]);
    expect(await retentionOf([created, table, existing])).toEqual({ [created]: String(14 * 24 * HOUR), [table]: '-1', [existing]: String(2 * HOUR) });
  });

  it('on personal-data topics, the operator\'s hours when given, else the spec\'s; other topics keep theirs', async () => {
    const [personal, pipeline, personalExisting] = [uniqueName('ret-pii'), uniqueName('ret-digests'), uniqueName('ret-pii-old')];
    const personalData = { retentionMs: 24 * HOUR, personalData: true };
    const digests = { retentionMs: 14 * 24 * HOUR, personalData: false };
    await ensureTopics(kafka(), [spec(personalExisting, 1, 'delete', undefined, personalData)]);
    expect((await retentionOf([personalExisting]))[personalExisting]).toBe(String(24 * HOUR));

    await ensureTopics(kafka(), [spec(personal, 1, 'delete', undefined, personalData), spec(pipeline, 1, 'delete', undefined, digests), spec(personalExisting, 1, 'delete', undefined, personalData)], { personalDataRetentionHours: 1.5 });
    expect(await retentionOf([personal, pipeline, personalExisting])).toEqual({ [personal]: String(1.5 * HOUR), [pipeline]: String(14 * 24 * HOUR), [personalExisting]: String(1.5 * HOUR) });
  });
});
