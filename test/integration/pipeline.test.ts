import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { ExportConfig, REFRESH_SLICES, SegmentEvent, Topics } from '@audience-sync/contracts';
import { eventually, testBrokers, uniqueName } from '../support/env';
import { startService, RunningService } from '../../tools/services';
import { expectedFacebookRows, expectedMicrosoftRows, HashedAudiences } from '../support/hashed-audiences';
import { AppliedConfigs } from '../support/applied-configs';
import { drained, PIPELINE } from '../support/drained';

const N = 3000;
const PARTS = 6;
const email = (i: number) => `user${i}@example.com`;
const attributes = (i: number, override: Record<string, string> = {}) => ({ PrimaryEmail: email(i), MobilePhone: `+47 9${String(i).padStart(7, '0')}`, FirstName: 'Åse', LastName: `Nordmann${i}`, ...override });
const fbKeys = ['EMAIL', 'PHONE', 'FN', 'LN'] as const;
const fbIdentifiers = (a: Record<string, string>) => ({ EMAIL: a.PrimaryEmail, PHONE: a.MobilePhone, FN: a.FirstName, LN: a.LastName });

describe('segment-streamer + identifier-hasher on the real broker', () => {
  const run = uniqueName('p');
  const segA = `${run}-A`;
  const segB = `${run}-B`;
  const fbExport = `${run}-fb`;
  const msExport = `${run}-ms`;
  const audienceId = `${run}-aud`;
  const stateDir = mkdtempSync(join(tmpdir(), 'streamer-state-'));
  let env: Record<string, string>;
  let hasher: RunningService;
  let streamer: RunningService;
  let producer: Producer;
  let kafka: Kafka;
  let downstream: HashedAudiences;
  const applied = new AppliedConfigs(['segment-streamer']);
  const t0 = Date.parse('2026-11-01T10:00:00Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();

  const base = { connectionId: 'c1', connectionState: 'active' as const, version: 1, updatedAt: at(0), displayName: 'x' };
  const configs: ExportConfig[] = [
    { ...base, exportId: fbExport, maxProfiles: 10_000_000, segments: [{ id: segA, name: 'A' }, { id: segB, name: 'B' }], destination: { type: 'facebook-ads', adAccountId: '1001', audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone', FN: 'FirstName', LN: 'LastName' } } },
    { ...base, exportId: msExport, maxProfiles: 500_000, segments: [{ id: segA, name: 'A' }], destination: { type: 'microsoft-advertising', customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true } },
  ];

  async function publish(events: SegmentEvent[]) {
    return producer.send({ topic: Topics.segmentEvents.name, messages: events.map((e) => ({ key: 'segmentId' in e ? e.segmentId : e.profileId, value: JSON.stringify(e) })) });
  }

  const refreshPart = (part: number) => {
    const size = N / PARTS;
    const members = Array.from({ length: size }, (_, j) => (part - 1) * size + j).map((i) => ({ profileId: `prof-${i}`, attributes: attributes(i) }));
    return { type: 'refresh' as const, eventId: `${run}-r1-${part}`, occurredAt: at(0), segmentId: segA, segmentName: 'A', refreshId: `${run}-r1`, part, final: part === PARTS, members };
  };

  beforeAll(async () => {
    env = { KAFKA_BROKERS: testBrokers().join(','), STREAMER_STATE_DIR: stateDir, STREAMER_STATE_TOPIC: uniqueName('segment-streamer.state-test'), LOG_LEVEL: 'log' };
    kafka = new Kafka({ clientId: 'pipeline-test', brokers: testBrokers(), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    hasher = await startService('identifier-hasher', 'HASHER_PORT', env);
    streamer = await startService('segment-streamer', 'STREAMER_PORT', env);
    await producer.send({ topic: Topics.exportConfigs.name, messages: configs.map((c) => ({ key: c.exportId, value: JSON.stringify(c) })) });
    downstream = new HashedAudiences(new Set([fbExport, msExport]));
    await Promise.all([downstream.start(), applied.start()]);
  });

  afterAll(async () => {
    await downstream?.stop();
    await applied.stop();
    await producer?.disconnect();
    await streamer?.kill();
    await hasher?.kill();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('survives a SIGKILL while staging and while completing a refresh, then follows deltas exactly', async () => {
    {
      // Saving an export sends nothing: once the streamer has applied both configurations and handled
      // all the hasher wrote, and the reader has read all the streamer wrote, nothing came.
      for (const exportId of [fbExport, msExport]) await applied.until(['segment-streamer'], exportId, 1);
      await drained([PIPELINE[1]]);
      await downstream.caughtUp();
      expect(downstream.raw).toHaveLength(0);

      const admin = kafka.admin();
      await admin.connect();
      const hashedBefore = await admin.fetchTopicOffsets(Topics.hashedSegmentEvents.name);
      await publish([1, 2, 3].map(refreshPart));
      // The hasher cuts each part into REFRESH_SLICES slices on every partition (its members' share).
      await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: 'segment-streamer', topics: [Topics.hashedSegmentEvents.name] });
        const committed = (partition: number) => BigInt(offsets.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
        return hashedBefore.every(({ partition, offset }) => committed(partition) >= BigInt(offset) + 3n * BigInt(REFRESH_SLICES));
      }, 30000, 'the streamer to stage parts 1-3');
      await admin.disconnect();

      await streamer.kill('SIGKILL');
      await publish([4, 5, 6].map(refreshPart));
      streamer = await startService('segment-streamer', 'STREAMER_PORT', env);
      await eventually(() => downstream.of(msExport, segA).size > 0 || undefined, 60000, 'the first changes after restart');
      if (downstream.of(msExport, segA).size < N) {
        await streamer.kill('SIGKILL');
        streamer = await startService('segment-streamer', 'STREAMER_PORT', env);
      }
      await eventually(() => downstream.of(msExport, segA).size === N && downstream.of(fbExport, audienceId).size === N, 90000, 'the full refresh downstream');

      // Deltas: exits, a move between segments (union), an identifier change, an exit without attributes, a poison message.
      const membership = (profile: number, segmentId: string, status: 'entered' | 'exited', ms: number, attrs?: Record<string, string> | null) => ({
        type: 'membership' as const, eventId: `${run}-m-${profile}-${segmentId}-${ms}`, occurredAt: at(ms), segmentId, segmentName: segmentId, profileId: `prof-${profile}`, status, attributes: attrs ?? null,
      });
      await publish([membership(1, segB, 'entered', 1000, attributes(1)), membership(0, segA, 'exited', 1001), membership(1, segA, 'exited', 1002)]);
      await producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: segA, value: '{"type":"membership","eventId":"broken"}' }] });
      await publish([{ type: 'profile', eventId: `${run}-pr-2`, occurredAt: at(1003), profileId: 'prof-2', attributes: { PrimaryEmail: 'new.address@example.com' } }, membership(3, segA, 'exited', 1004)]);
      // An older exit arriving late changes nothing.
      await publish([membership(5, segA, 'exited', -5)]);

      const msExpected = expectedMicrosoftRows([...Array.from({ length: N }, (_, i) => i).filter((i) => i >= 4).map(email), 'new.address@example.com']);
      const fbExpected = expectedFacebookRows([...fbKeys], [
        fbIdentifiers(attributes(1)),
        fbIdentifiers(attributes(2, { PrimaryEmail: 'new.address@example.com' })),
        ...Array.from({ length: N }, (_, i) => i).filter((i) => i >= 4).map((i) => fbIdentifiers(attributes(i))),
      ]);
      await eventually(() => sameSet(downstream.of(msExport, segA), msExpected) && sameSet(downstream.of(fbExport, audienceId), fbExpected), 60000, 'the audiences after the deltas');

      // No plain-text personal data past the hasher.
      const everything = downstream.raw.join('\n');
      for (const needle of ['@', 'example.com', 'Nordmann', 'Åse', '+47', '9000000']) expect(everything).not.toContain(needle);
    }
  });
});

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
