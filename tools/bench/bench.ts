import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Topics } from '@audience-sync/contracts';
import { provideInfrastructure, withDatabase } from '../../deploy/local/infrastructure';
import { freePort } from '../../deploy/local/process';
import { projectRoot } from '../../deploy/local/paths';
import { serviceEnvironment } from '../../deploy/local/stack-env';
import { signInLikeABrowser } from '../emulators/browser-sign-in';
import { startService, RunningService } from '../services';
import { AnonPeaks, cpuSeconds, leafPid, peakRssMb } from './proc-stats';
import { expectedChecksum, FACEBOOK_MAPPINGS, profile } from './profiles';

/**
 * `npm run bench -- --facebook-profiles N --microsoft-profiles M --latency-seconds S --latency-rate R`
 * Everything on this machine: broker, database, emulators and the five services as processes.
 */
const args = parseArgs(process.argv.slice(2));
const FB = args['facebook-profiles'] ?? 10_000_000;
const MS = args['microsoft-profiles'] ?? 500_000;
const LATENCY_SECONDS = args['latency-seconds'] ?? 30;
const LATENCY_RATE = args['latency-rate'] ?? 1000;
const PART = 10_000;
const root = projectRoot();
const say = (line: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Proc {
  name: string;
  pid: number;
}

async function main(): Promise<void> {
  const infra = await provideInfrastructure({ purpose: 'test', say: (l) => say(`infra: ${l}`) });
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-streamer-'));
  const services: RunningService[] = [];
  let emulators: ReturnType<typeof spawn> | undefined;
  const cleanup = async () => {
    emulators?.kill('SIGTERM');
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await infra.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const fbPort = await freePort();
    const msPort = await freePort();
    mkdirSync(join(root, 'test-logs'), { recursive: true });
    emulators = spawn(process.execPath, [join(root, 'dist/tools/emulators/main.js')], {
      env: { ...process.env, FACEBOOK_EMULATOR_PORT: String(fbPort), MICROSOFT_EMULATOR_PORT: String(msPort), FACEBOOK_EMULATOR_SEED: JSON.stringify({ callsPerAccountPerHour: 10_000_000 }), MICROSOFT_EMULATOR_SEED: JSON.stringify({ callsPerCustomerPerMinute: 10_000_000 }) },
      stdio: ['ignore', openSync(join(root, 'test-logs', 'bench-emulators.log'), 'a'), 'inherit'],
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${fbPort}/_emulator/audiences`).catch(() => undefined))?.ok === true, 30000);
    const registryPort = await freePort();
    const adminKey = `bench-${randomBytes(16).toString('hex')}`;
    const env: Record<string, string> = {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MONGODB_URI: withDatabase(infra.mongoUri, 'bench'),
      LOG_LEVEL: 'warn',
      REGISTRY_API_KEYS: `bench:administrator:${adminKey}`,
      INTERNAL_TOKEN_SINK_FACEBOOK: randomBytes(24).toString('hex'),
      INTERNAL_TOKEN_SINK_MICROSOFT_ADS: randomBytes(24).toString('hex'),
      CREDENTIALS_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      REGISTRY_PUBLIC_URL: `http://127.0.0.1:${registryPort}`,
      REGISTRY_INTERNAL_URL: `http://127.0.0.1:${registryPort}`,
      FACEBOOK_GRAPH_BASE_URL: `http://127.0.0.1:${fbPort}/v27.0`,
      FACEBOOK_DIALOG_BASE_URL: `http://127.0.0.1:${fbPort}/v27.0/dialog/oauth`,
      MICROSOFT_OAUTH_BASE_URL: `http://127.0.0.1:${msPort}/common/oauth2/v2.0`,
      MICROSOFT_ADS_BASE_URL: `http://127.0.0.1:${msPort}/CampaignManagement/v13`,
      MICROSOFT_DEVELOPER_TOKEN: 'BBD37VB98',
      STREAMER_STATE_DIR: stateDir,
      // Each run starts empty: the broker may keep earlier runs' changelogs.
      STREAMER_STATE_TOPIC: `segment-streamer.state-bench-${randomBytes(4).toString('hex')}`,
    };
    say('starting the five services');
    services.push(await startService('connection-registry', 'REGISTRY_PORT', env, registryPort));
    for (const [name, port] of [['identifier-hasher', 'HASHER_PORT'], ['segment-streamer', 'STREAMER_PORT'], ['sink-facebook', 'SINK_FACEBOOK_PORT'], ['sink-microsoft-ads', 'SINK_MICROSOFT_ADS_PORT']] as const) {
      services.push(await startService(name, port, serviceEnvironment(name, env)));
    }
    const procs: Proc[] = [
      ...services.map((s) => ({ name: s.name, pid: s.child.pid! })),
      { name: 'emulators', pid: emulators.pid! },
      ...(infra.sources.kafka === 'local' ? [{ name: 'kafka (broker)', pid: leafPid(infra.pids!.kafka) }] : []),
      ...(infra.sources.database === 'local' ? [{ name: 'ferretdb (database)', pid: leafPid(infra.pids!.database) }] : []),
    ];
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`http://127.0.0.1:${registryPort}${path}`, { method, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<any>;
    };
    const signIn = async (id: string) => {
      const landed = await signInLikeABrowser(`http://127.0.0.1:${registryPort}`, adminKey, id);
      if (landed.status !== 200) throw new Error(`signing connection ${id} in failed: ${landed.status}`);
    };
    const fbConnection = await api('POST', '/connections', { displayName: 'bench fb', destination: 'facebook-ads', consent: { agreed: true } });
    await signIn(fbConnection.id);
    const fbAudience = (await api('PUT', `/connections/${fbConnection.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: 'bench' } })).facebook.audienceId as string;
    const msConnection = await api('POST', '/connections', { displayName: 'bench ms', destination: 'microsoft-advertising', consent: { agreed: true } });
    await signIn(msConnection.id);
    const exports = [
      await api('POST', '/exports', { displayName: 'bench fb', connectionId: fbConnection.id, segments: [{ id: 'bench-fb', name: 'bench fb' }], facebook: { keyIdentifier: 'email', mappings: FACEBOOK_MAPPINGS } }),
      await api('POST', '/exports', { displayName: 'bench ms', connectionId: msConnection.id, segments: [{ id: 'bench-ms', name: 'bench ms' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } }),
      await api('POST', '/exports', { displayName: 'bench live', connectionId: msConnection.id, segments: [{ id: 'bench-live', name: 'bench live' }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } }),
    ];
    // Events are hashed by the rules of the exports the hasher has applied: publish once all are active.
    await waitFor(async () => (await Promise.all(exports.map(async (e) => (await api('GET', `/exports/${e.id}`)).pipeline.state))).every((state) => state === 'active'), 60_000);

    const kafka = new Kafka({ clientId: 'bench', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const fbCount = () => fetch(`http://127.0.0.1:${fbPort}/_emulator/audiences/${fbAudience}?limit=0`).then((r) => r.json() as Promise<{ count: number; checksum: string }>);
    const msAudience = async (name: string) => {
      const { audiences } = (await (await fetch(`http://127.0.0.1:${msPort}/_emulator/audiences`)).json()) as { audiences: { id: string; name: string }[] };
      const id = audiences.find((a) => a.name === name)?.id;
      return id ? ((await (await fetch(`http://127.0.0.1:${msPort}/_emulator/audiences/${id}?limit=0`)).json()) as { count: number; checksum: string }) : { count: 0, checksum: '' };
    };

    const anon = new AnonPeaks(procs.map((p) => p.pid));
    const cpuBefore = new Map(procs.map((p) => [p.name, cpuSeconds(p.pid)]));
    const fbSync = FB > 0 ? await fullSync('Facebook', producer, 'bench-fb', 'fb', FB, fbCount) : undefined;
    const cpuAfterFb = new Map(procs.map((p) => [p.name, cpuSeconds(p.pid)]));
    // The run's state once it has one (404 until the streamer reports it).
    const fbRun = (refreshId: string) => api('GET', `/exports/${exports[0].id}/runs/refresh-${refreshId}-${exports[0].id}`).then((run: { state: string }) => run.state, () => undefined);
    const fbAgain = fbSync ? await unchangedRefresh(producer, 'bench-fb', 'fb', FB, fbRun) : undefined;
    const cpuAfterAgain = new Map(procs.map((p) => [p.name, cpuSeconds(p.pid)]));
    const fbUnchanged = !fbSync || (await fbCount()).checksum === fbSync.checksum;
    const msSync = MS > 0 ? await fullSync('Microsoft', producer, 'bench-ms', 'ms', MS, () => msAudience('bench ms')) : undefined;
    const latency = LATENCY_SECONDS > 0 ? await liveLatency(producer, () => msAudience('bench live')) : undefined;

    say('checking the audiences hold exactly the expected members (and timing one core normalising and hashing)');
    const fbExpected = FB > 0 ? expectedChecksum('facebook', 'fb', FB, progress('expected Facebook rows', FB)) : undefined;
    const msExpected = MS > 0 ? expectedChecksum('microsoft', 'ms', MS, progress('expected Microsoft rows', MS)) : undefined;
    const fbExact = !fbSync || fbSync.checksum === fbExpected!.checksum;
    const msExact = !msSync || msSync.checksum === msExpected!.checksum;
    const raw = await brokerOneHop(kafka, Math.min(FB || MS, 1_000_000));
    await producer.disconnect();

    anon.stop();
    const perMillion = (after: Map<string, number>, before: Map<string, number>, name: string) => (FB > 0 ? round(((after.get(name)! - before.get(name)!) / FB) * 1e6, 1) : null);
    const resources = procs.map((p) => ({
      name: p.name,
      peakRssMb: peakRssMb(p.pid),
      peakAnonRssMb: anon.peaks.get(p.pid) ?? null,
      cpuSecondsPerMillionFacebook: perMillion(cpuAfterFb, cpuBefore, p.name),
      cpuSecondsPerMillionUnchangedRefresh: perMillion(cpuAfterAgain, cpuAfterFb, p.name),
    }));
    const hashRate = fbExpected?.profilesPerSecond ?? msExpected?.profilesPerSecond ?? 0;
    const result = {
      machine: { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      facebook: fbSync ? { profiles: FB, seconds: fbSync.seconds, profilesPerSecond: Math.round(FB / fbSync.seconds), exact: fbExact } : null,
      unchangedRefresh: fbAgain ? { profiles: FB, seconds: fbAgain.seconds, profilesPerSecond: Math.round(FB / fbAgain.seconds), audienceUnchanged: fbUnchanged } : null,
      microsoft: msSync ? { profiles: MS, seconds: msSync.seconds, profilesPerSecond: Math.round(MS / msSync.seconds), exact: msExact } : null,
      latency: latency ? { eventsPerSecond: LATENCY_RATE, seconds: LATENCY_SECONDS, samples: latency.samples, p50Ms: latency.p50, p99Ms: latency.p99, maxMs: latency.max } : null,
      raw: { brokerOneHopProfilesPerSecond: raw.profilesPerSecond, brokerOneHopMBPerSecond: raw.mbPerSecond, hashProfilesPerSecondOneCore: hashRate },
      fractions: fbSync ? { ofBrokerOneHop: round(FB / fbSync.seconds / raw.profilesPerSecond, 3), ofOneCoreHashing: round(FB / fbSync.seconds / hashRate, 3) } : null,
      resources,
      exact: fbExact && msExact && fbUnchanged,
    };
    printTable(result);
    const dir = join(root, 'bench-results', `${hostname()}-${cpus().length}cpu`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    await cleanup();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(result.exact ? 0 : 1);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Publishes a complete refresh of the benchmark's profiles `prefix-0` … `prefix-(count-1)`. */
async function publishRefresh(producer: Producer, segmentId: string, prefix: string, count: number, refreshId: string): Promise<void> {
  const parts = Math.ceil(count / PART);
  const occurredAt = new Date().toISOString();
  for (let part = 1; part <= parts; part += 1) {
    const members = [];
    for (let i = (part - 1) * PART; i < Math.min(count, part * PART); i += 1) members.push({ profileId: `${prefix}-${i}`, attributes: profile(prefix, i) });
    await producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: segmentId, value: JSON.stringify({ type: 'refresh', eventId: `${refreshId}-${part}`, occurredAt, segmentId, segmentName: segmentId, refreshId, part, final: part === parts, members }) }] });
  }
}

/**
 * The same refresh again, later: it changes nothing, so it costs what a daily refresh of an
 * unchanged segment does; timed until its run has ended, which must be a success.
 */
async function unchangedRefresh(producer: Producer, segmentId: string, prefix: string, count: number, runState: (refreshId: string) => Promise<string | undefined>) {
  say(`Facebook: the same ${count.toLocaleString('en-US')} profiles refreshed again, unchanged`);
  const started = Date.now();
  const refreshId = `${segmentId}-again`;
  await publishRefresh(producer, segmentId, prefix, count, refreshId);
  let state: string | undefined;
  await waitFor(async () => (state = await runState(refreshId)) === 'succeeded' || state === 'failed', 24 * 60 * 60 * 1000, 500);
  if (state !== 'succeeded') throw new Error(`the unchanged refresh's run ${state}: see GET /exports/{id}/runs and the streamer's log`);
  const seconds = (Date.now() - started) / 1000;
  say(`Facebook: unchanged refresh of ${count.toLocaleString('en-US')} profiles in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')}/s)`);
  return { seconds: round(seconds, 1) };
}

/** Publishes a complete refresh of `count` profiles and times it until the emulator holds them all. */
async function fullSync(label: string, producer: Producer, segmentId: string, prefix: string, count: number, probe: () => Promise<{ count: number; checksum: string }>) {
  say(`${label}: publishing a refresh of ${count.toLocaleString('en-US')} profiles in parts of ${PART.toLocaleString('en-US')}`);
  const started = Date.now();
  const publishing = publishRefresh(producer, segmentId, prefix, count, `${segmentId}-r`).then(() => (Date.now() - started) / 1000);
  let last = 0;
  let lastReport = 0;
  let state = { count: 0, checksum: '' };
  const publishSeconds = await publishing;
  say(`${label}: published in ${publishSeconds.toFixed(1)} s; waiting for the emulator`);
  while (state.count < count) {
    await new Promise((r) => setTimeout(r, 500));
    state = await probe();
    if (Date.now() - lastReport > 5000) {
      const elapsed = (Date.now() - started) / 1000;
      say(`${label}: ${state.count.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} at the emulator after ${elapsed.toFixed(0)} s (${Math.round((state.count - last) / ((Date.now() - lastReport) / 1000 || 1)).toLocaleString('en-US')}/s)`);
      last = state.count;
      lastReport = Date.now();
    }
  }
  const seconds = (Date.now() - started) / 1000;
  say(`${label}: ${count.toLocaleString('en-US')} profiles in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')}/s)`);
  return { seconds: round(seconds, 1), checksum: state.checksum };
}

/** Enters of new profiles at a steady rate; a row's arrival is when the audience's count reaches it. */
async function liveLatency(producer: Producer, probe: () => Promise<{ count: number }>) {
  say(`live latency: ${LATENCY_RATE} enters/s for ${LATENCY_SECONDS} s`);
  // First data flows after a refresh: activate the export with an empty complete refresh.
  await producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: 'bench-live', value: JSON.stringify({ type: 'refresh', eventId: 'live-r', occurredAt: new Date(Date.now() - 60_000).toISOString(), segmentId: 'bench-live', segmentName: 'bench live', refreshId: 'live-r', part: 1, final: true, members: [] }) }] });
  await new Promise((r) => setTimeout(r, 3000));
  const published: number[] = [];
  const arrived: number[] = [];
  let stop = false;
  const poller = (async () => {
    while (!stop || arrived.length < published.length) {
      const { count } = await probe();
      const now = Date.now();
      while (arrived.length < count) arrived.push(now);
      if (stop && Date.now() - published[published.length - 1] > 30_000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const tick = 50;
  const perTick = Math.max(1, Math.round((LATENCY_RATE * tick) / 1000));
  const start = Date.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * LATENCY_RATE) + perTick);
    const messages = [];
    for (; sent < due; sent += 1) messages.push({ key: 'bench-live', value: JSON.stringify({ type: 'membership', eventId: `live-${sent}`, occurredAt: new Date().toISOString(), segmentId: 'bench-live', segmentName: 'bench live', profileId: `live-${sent}`, status: 'entered', attributes: { PrimaryEmail: `live.${sent}@bench.example` } }) });
    const at = Date.now();
    if (messages.length > 0) {
      await producer.send({ topic: Topics.segmentEvents.name, messages });
      for (let i = 0; i < messages.length; i += 1) published.push(at);
    }
    await new Promise((r) => setTimeout(r, tick));
  }
  stop = true;
  await poller;
  const latencies = published.slice(0, arrived.length).map((t, i) => arrived[i] - t).sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  say(`live latency: ${latencies.length} of ${published.length} arrived; p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms`);
  return { samples: latencies.length, p50: pick(0.5), p99: pick(0.99), max: latencies[latencies.length - 1] ?? NaN };
}

/** The broker alone: produce the same refresh bytes to a scratch topic and consume them back. */
async function brokerOneHop(kafka: Kafka, count: number) {
  const topic = `bench-raw-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] }] });
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: topic, maxBytesPerPartition: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const parts = Math.ceil(count / PART);
  let bytes = 0;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async () => { received += 1; if (received === parts) resolve(); } });
  });
  const started = Date.now();
  for (let part = 0; part < parts; part += 1) {
    const members = [];
    for (let i = part * PART; i < Math.min(count, (part + 1) * PART); i += 1) members.push({ profileId: `raw-${i}`, attributes: profile('raw', i) });
    const value = JSON.stringify({ members });
    bytes += Buffer.byteLength(value);
    await producer.send({ topic, messages: [{ value }] });
  }
  await done;
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  say(`broker one hop: ${count.toLocaleString('en-US')} profiles (${(bytes / 2 ** 20).toFixed(0)} MB) produced and consumed in ${seconds.toFixed(1)} s`);
  return { profilesPerSecond: Math.round(count / seconds), mbPerSecond: round(bytes / 2 ** 20 / seconds, 1) };
}

function printTable(r: any): void {
  const line = (k: string, v: unknown) => process.stdout.write(`  ${k.padEnd(44)} ${v}\n`);
  process.stdout.write('\n=== audience-sync benchmark ===\n');
  line('machine', `${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGb} GB, Node ${r.machine.node}`);
  if (r.facebook) line(`Facebook full sync (${r.facebook.profiles.toLocaleString('en-US')})`, `${r.facebook.seconds} s, ${r.facebook.profilesPerSecond.toLocaleString('en-US')} profiles/s, exact: ${r.facebook.exact}`);
  if (r.unchangedRefresh) line(`Facebook refreshed again, unchanged`, `${r.unchangedRefresh.seconds} s, ${r.unchangedRefresh.profilesPerSecond.toLocaleString('en-US')} profiles/s, audience unchanged: ${r.unchangedRefresh.audienceUnchanged}`);
  if (r.microsoft) line(`Microsoft full sync (${r.microsoft.profiles.toLocaleString('en-US')})`, `${r.microsoft.seconds} s, ${r.microsoft.profilesPerSecond.toLocaleString('en-US')} profiles/s, exact: ${r.microsoft.exact}`);
  if (r.latency) line(`live latency at ${r.latency.eventsPerSecond}/s`, `p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms (${r.latency.samples} samples)`);
  line('broker one hop (same bytes)', `${r.raw.brokerOneHopProfilesPerSecond.toLocaleString('en-US')} profiles/s, ${r.raw.brokerOneHopMBPerSecond} MB/s`);
  line('normalise + hash, one core (Facebook keys)', `${r.raw.hashProfilesPerSecondOneCore.toLocaleString('en-US')} profiles/s`);
  if (r.fractions) line('Facebook pipeline as a fraction of', `broker one hop ${r.fractions.ofBrokerOneHop}, one-core hashing ${r.fractions.ofOneCoreHashing}`);
  for (const p of r.resources) line(`  ${p.name}`, `peak RSS ${p.peakRssMb} MB (anonymous ${p.peakAnonRssMb} MB)${p.cpuSecondsPerMillionFacebook !== null ? `, CPU s per million: ${p.cpuSecondsPerMillionFacebook} Facebook sync, ${p.cpuSecondsPerMillionUnchangedRefresh} unchanged refresh` : ''}`);
  line('exact', r.exact);
  process.stdout.write('\n');
}

function progress(label: string, total: number) {
  let last = 0;
  return (done: number) => {
    if (Date.now() - last > 5000 || done === total) {
      say(`${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
      last = Date.now();
    }
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

function parseArgs(argv: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!argv[i].startsWith('--') || !Number.isFinite(value) || value < 0) throw new Error(`usage: npm run bench -- [--facebook-profiles N] [--microsoft-profiles M] [--latency-seconds S] [--latency-rate R] (bad: ${argv[i]} ${argv[i + 1] ?? ''})`);
    out[name] = value;
  }
  return out;
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
