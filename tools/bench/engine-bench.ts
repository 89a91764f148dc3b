import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ExportConfig, Topics } from '@audience-sync/contracts';
import { createKafka, ensureTopics, keyPartitioner } from '@audience-sync/kafka';
import { attributeRules } from '@audience-sync/destinations';
import { hashEvent } from '@audience-sync/identifiers';
import { ChangeBatch } from '../../services/segment-streamer/src/engine/change-writer';
import { destinationMessages } from '../../services/segment-streamer/src/engine/messages';
import { MembershipEngine } from '../../services/segment-streamer/src/engine/membership-engine';
import { LevelStore } from '../../services/segment-streamer/src/engine/level-store';
import { EncodedWrite, StateJournal } from '../../services/segment-streamer/src/engine/state-journal';
import { StateChangelog } from '../../services/segment-streamer/src/changelog/state-changelog';
import { recoverState } from '../../services/segment-streamer/src/changelog/state-recovery';
import { FACEBOOK_MAPPINGS, profile } from './profiles';

/**
 * `node dist/tools/bench/engine-bench.js [profiles] [exports]`: the streamer's engine alone, in one
 * process with no broker: a Facebook refresh of N profiles (default 200,000) in parts of 10,000,
 * cut by the hasher for P partitions (default: the hashed topic's, 6), through MembershipEngine and
 * LevelStore into E Facebook exports of the segment (default 1), events
 * and output checked against their schemas as the service does; then the same refresh again, later,
 * changing nothing (`again`: what a daily refresh of an unchanged segment costs). The events are
 * hashed before the clock starts: that is the hasher's work, not the streamer's. Run it under
 * `node --cpu-prof` to profile the hot path.
 * With KAFKA_BROKERS set, the store also writes its changelog to a new topic there, flushed after
 * each event as the service does; the records and bytes written per profile are printed, how long
 * the start after a crash takes (the disk kept, its last batch sent again), and how long restoring
 * the whole changelog into an empty store takes.
 */
async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200_000);
  const exportCount = Number(process.argv[3] ?? 1);
  const partitions = Number(process.argv[4] ?? Topics.hashedSegmentEvents.partitions);
  const placement = { partitions, partitionOf: keyPartitioner(partitions) };
  const part = 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  const changelog = process.env.KAFKA_BROKERS ? await openChangelog(process.env.KAFKA_BROKERS.split(',')) : undefined;
  const journaled = { records: 0, bytes: 0 };
  const journal: StateJournal | undefined = changelog && {
    record: (writes: EncodedWrite[], batch?: number) => {
      for (const w of writes) {
        journaled.records += 1;
        journaled.bytes += w.key.length + (w.value?.length ?? 0);
      }
      return changelog.record(writes, batch);
    },
    onCommit: (listener) => changelog.onCommit(listener),
  };
  const store = new LevelStore(dir, journal);
  await store.open();
  if (changelog) await recoverState(store, changelog, () => undefined);
  let rows = 0;
  const output = {
    send: async (batches: ChangeBatch[]) => {
      for (const [topic, messages] of destinationMessages(batches)) {
        for (const m of messages) JSON.stringify(topic.schema.parse(m.value));
      }
      for (const b of batches) rows += b.changes.length;
    },
  };
  const engine = new MembershipEngine(store, output, { report: async () => undefined });
  const configs = Array.from({ length: exportCount }, (_, n): ExportConfig => ({
    exportId: `bench-${n + 1}`,
    version: 1,
    displayName: 'bench',
    connectionId: 'c',
    connectionState: 'active',
    maxProfiles: 10_000_000,
    updatedAt: new Date().toISOString(),
    segments: [{ id: 's', name: 's' }],
    destination: { type: 'facebook-ads', adAccountId: '1', audienceId: String(n + 1), keyIdentifier: 'email', mappings: { ...FACEBOOK_MAPPINGS } },
  }));
  for (const config of configs) await engine.applyConfig(config.exportId, config);
  const parts = Math.ceil(count / part);
  // Encoded up front, so the timing is the engine's (with the decode and validation the consumer does).
  const refresh = (refreshId: string, occurredAt: string): string[] => {
    const events: string[] = [];
    for (let n = 1; n <= parts; n += 1) {
      const members = [];
      for (let i = (n - 1) * part; i < Math.min(count, n * part); i += 1) members.push({ profileId: `p-${i}`, attributes: profile('p', i) });
      const hashed = hashEvent({ type: 'refresh', eventId: `${refreshId}-${n}`, occurredAt, segmentId: 's', segmentName: 's', refreshId, part: n, final: n === parts, members }, attributeRules(configs), placement);
      for (const { event } of hashed) events.push(JSON.stringify(event));
    }
    return events;
  };
  const apply = async (events: string[]) => {
    const before = { ...journaled, rows, cpu: process.cpuUsage(), started: process.hrtime.bigint() };
    for (const event of events) {
      await engine.handleEvents([Topics.hashedSegmentEvents.schema.parse(JSON.parse(event))]);
      await changelog?.flush();
    }
    const seconds = Number(process.hrtime.bigint() - before.started) / 1e9;
    const cpu = process.cpuUsage(before.cpu);
    const perProfile = (us: number) => Math.round((us / count) * 10) / 10;
    return {
      rows: rows - before.rows,
      figures: {
        seconds: Math.round(seconds * 10) / 10,
        usPerProfile: perProfile(seconds * 1e6),
        cpuUsPerProfile: perProfile(cpu.user + cpu.system),
        ...(changelog ? { changelogRecordsPerProfile: (journaled.records - before.records) / count, changelogBytesPerProfile: Math.round((journaled.bytes - before.bytes) / count) } : {}),
      },
    };
  };
  const first = await apply(refresh('r1', new Date(Date.now() - 60_000).toISOString()));
  if (first.rows !== count * exportCount) throw new Error(`expected ${count * exportCount} rows out, got ${first.rows}`);
  const again = await apply(refresh('r2', new Date().toISOString()));
  if (again.rows !== 0) throw new Error(`expected no rows out from an unchanged refresh, got ${again.rows}`);
  const crash = changelog ? await timeCrash(store, dir, changelog) : await store.close();
  rmSync(dir, { recursive: true, force: true });
  const restore = changelog && (await timeRestore(changelog));
  await changelog?.disconnect();
  process.stdout.write(`${JSON.stringify({ profiles: count, exports: exportCount, ...first.figures, again: again.figures, ...(changelog ? { restore, crash } : {}) })}\n`);
}

/** Seconds since an hrtime reading, to a tenth. */
function tenthsSince(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10;
}

/** What a lost disk costs: the whole changelog restored into an empty store. */
async function timeRestore(changelog: StateChangelog): Promise<{ records: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-restore-'));
  // Journaled to the changelog as the service's store is: the restore's own commits (its end marker) are recorded on this disk.
  const store = new LevelStore(dir, changelog);
  await store.open();
  const started = process.hrtime.bigint();
  const records = await changelog.restore((writes) => store.restore(writes), () => undefined);
  const seconds = tenthsSince(started);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { records, seconds };
}

/** What a crash costs when nothing else wrote to the changelog since: the disk is kept and its last, unsent, batch sent again. */
async function timeCrash(store: LevelStore, dir: string, changelog: StateChangelog): Promise<{ recovery: string; seconds: number }> {
  await store.saveRefreshedAt('unsent', Date.now());
  await store.close();
  const reopened = new LevelStore(dir, changelog);
  const started = process.hrtime.bigint();
  await reopened.open();
  const recovery = await recoverState(reopened, changelog, () => undefined);
  const seconds = tenthsSince(started);
  await reopened.close();
  return { recovery, seconds };
}

async function openChangelog(brokers: string[]): Promise<StateChangelog> {
  const kafka = createKafka({ clientId: 'engine-bench', brokers });
  const topic = { ...Topics.streamerState, name: `segment-streamer.state-engine-bench-${randomBytes(4).toString('hex')}` };
  await ensureTopics(kafka, [topic], { service: 'segment-streamer' });
  const changelog = new StateChangelog(kafka, topic.name);
  await changelog.connect();
  return changelog;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
