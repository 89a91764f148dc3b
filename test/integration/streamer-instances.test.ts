import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentEvent, Topics } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { serviceEnvironment } from '../../deploy/local/stack-env';
import { RunningService, startService } from '../../tools/services';
import { Stack } from '../support/stack';
import { drained } from '../support/drained';
import { eventually, uniqueName } from '../support/env';

const email = (i: number, version: number) => `inst${i}.v${version}@example.com`;
const fbRow = (address: string) => memberKey(facebookRows(['EMAIL'], [{ op: 'add', identifiers: { EMAIL: address } }]).adds[0]);
const msRow = (address: string) => memberKey(microsoftEmails([{ op: 'add', identifiers: { EMAIL: address } }]).adds);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (rows: Iterable<string>) => JSON.stringify([...rows].sort());

/** A seeded generator, so a failing storm can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Several streamer instances on one changelog, the way an operator runs them: one active, the
 * others standing by. Three of them while a refresh of two segments (one Facebook audience fed by
 * both, a Microsoft audience per segment) and live changes flow; the active one killed mid-refresh
 * with its disk lost and a fourth started; then instances joining, stopping and being killed every
 * few seconds while changes keep coming. Through all of it the audiences must end exactly as the
 * events say, with exactly one instance active.
 */
describe('end to end: several streamer instances, one active', () => {
  const stack = new Stack();
  const instances: RunningService[] = [];
  const dirs = new Map<RunningService, string>();
  let clock = Date.parse('2026-12-01T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();
  /** What the events say: each segment's members, and each profile's email version (attributes are the profile's, whatever segment's event brought them). */
  const members = new Map<string, Set<number>>();
  const version = new Map<number, number>();
  const next = random(20261207);

  const start = async (): Promise<RunningService> => {
    const dir = mkdtempSync(join(tmpdir(), 'streamer-instance-'));
    const instance = await startService('segment-streamer', 'STREAMER_PORT', { ...serviceEnvironment('segment-streamer', stack.env), STREAMER_STATE_DIR: dir }, undefined, `segment-streamer-instance-${instances.length + 1}`);
    instances.push(instance);
    dirs.set(instance, dir);
    return instance;
  };
  const alive = () => instances.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  const metric = async (s: RunningService, name: string) => {
    // Bounded: a paused instance accepts the connection and never answers.
    const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.text();
    return Number(new RegExp(`^audience_sync_${name} (\\S+)$`, 'm').exec(text ?? '')?.[1] ?? NaN);
  };
  /** The one active instance, once exactly one of the live ones says it is. */
  const oneActive = () =>
    eventually(
      async () => {
        const live = alive();
        const active = await Promise.all(live.map((s) => metric(s, 'streamer_active')));
        return active.filter((a) => a === 1).length === 1 && active.every((a) => a === 0 || a === 1) ? live[active.indexOf(1)] : undefined;
      },
      60000,
      'exactly one streamer instance to be active',
    );

  const enter = (segmentId: string, i: number, v: number): SegmentEvent => {
    members.get(segmentId)!.add(i);
    version.set(i, v);
    return { type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'entered', attributes: { PrimaryEmail: email(i, v) } };
  };
  const exit = (segmentId: string, i: number): SegmentEvent => {
    members.get(segmentId)!.delete(i);
    return { type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'exited', attributes: null };
  };
  /** A refresh listing `ids` (with their current email) in `parts` parts; the segment then holds exactly them. */
  const refresh = (segmentId: string, ids: number[], parts: number): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    const occurredAt = at();
    members.set(segmentId, new Set(ids));
    const size = Math.ceil(ids.length / parts);
    return range(0, parts).map((p) => ({
      type: 'refresh', eventId: `${refreshId}-${p}`, occurredAt, segmentId, segmentName: segmentId, refreshId, part: p + 1, final: p === parts - 1,
      members: ids.slice(p * size, (p + 1) * size).map((i) => ({ profileId: `p${i}`, attributes: { PrimaryEmail: email(i, version.get(i) ?? 0) } })),
    }));
  };

  beforeAll(() => stack.start(), 180000);
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.kill('SIGTERM')));
    await stack.stop();
    for (const [instance, dir] of dirs) if (instance !== instances[0]) rmSync(dir, { recursive: true, force: true });
  });

  it('keep the audiences exact with three instances, a kill of the active one mid-refresh with its disk lost, a fourth, and a storm of instances joining and leaving', async () => {
    const [a, b] = [uniqueName('inst-a'), uniqueName('inst-b')];
    members.set(a, new Set());
    members.set(b, new Set());
    const fbConnection = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const audienceId = (await stack.api('GET', `/connections/${fbConnection}`)).body.facebook.audienceId as string;
    const segments = [{ id: a, name: a }, { id: b, name: b }];
    const fb = await stack.api('POST', '/exports', { displayName: 'fb', connectionId: fbConnection, segments, facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    const ms = await stack.api('POST', '/exports', { displayName: 'ms', connectionId: await stack.connect('microsoft-advertising'), segments, microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect([fb.status, ms.status]).toEqual([201, 201]);
    await Promise.all([stack.untilActive(fb.body.id, fb.body.version), stack.untilActive(ms.body.id, ms.body.version)]);

    /** Facebook: one row per profile in either segment; Microsoft: one audience per segment. */
    const exact = (what: string) =>
      eventually(
        async () => {
          const now = (i: number) => email(i, version.get(i) ?? 0);
          const fbWanted = sorted([...new Set([...members.get(a)!, ...members.get(b)!])].map((i) => fbRow(now(i))));
          const msWanted = (s: string) => sorted([...members.get(s)!].map((i) => msRow(now(i))));
          const [fbHas, msA, msB] = [sorted(await stack.facebookMembers(audienceId)), sorted((await stack.microsoftMembers(a)) ?? []), sorted((await stack.microsoftMembers(b)) ?? [])];
          return fbHas === fbWanted && msA === msWanted(a) && msB === msWanted(b);
        },
        120000,
        `the audiences to be exact ${what}`,
      );

    // Three instances: the stack's and two more, which stand by.
    instances.push(stack.services.get('segment-streamer')!);
    dirs.set(instances[0], stack.env.STREAMER_STATE_DIR);
    await start();
    await start();
    const first = await oneActive();
    expect((await Promise.all(alive().map((s) => metric(s, 'streamer_active')))).sort()).toEqual([0, 0, 1]);

    // A refresh of both segments with live changes among its parts; the active instance killed
    // after half of it, its disk lost, and a fourth instance started.
    const refreshA = refresh(a, range(0, 1200), 4);
    const refreshB = refresh(b, range(800, 2000), 4);
    const live = () => [exit(a, Math.floor(next() * 1200)), enter(b, 2000 + Math.floor(next() * 100), 1), enter(a, 1000 + Math.floor(next() * 200), 2)];
    await stack.publish([refreshA[0], refreshB[0], ...live(), refreshA[1], refreshB[1], ...live()]);
    await first.kill('SIGKILL');
    rmSync(dirs.get(first)!, { recursive: true, force: true });
    await start();
    await stack.publish([refreshA[2], ...live(), refreshB[2], refreshA[3], ...live(), refreshB[3], ...live()]);
    await exact('after the active instance was killed mid-refresh');
    expect(alive()).toHaveLength(3);
    await oneActive();

    // The storm: every few seconds an instance joins, stops or is killed (the active one too),
    // while changes keep coming; at least one instance stays.
    const pick = <T>(from: T[]) => from[Math.floor(next() * from.length)];
    const actions: string[] = [];
    for (let tick = 0; tick < 12; tick += 1) {
      const live = alive();
      const roll = next();
      if (live.length < 2 || (roll < 0.4 && live.length < 4)) {
        await start();
        actions.push('join');
      } else if (roll < 0.7) {
        await pick(live).kill('SIGTERM');
        actions.push('stop');
      } else {
        await pick(live).kill('SIGKILL');
        actions.push('kill');
      }
      const changes: SegmentEvent[] = [];
      for (let n = 0; n < 20; n += 1) {
        const i = Math.floor(next() * 2100);
        const segment = next() < 0.5 ? a : b;
        changes.push(members.get(segment)!.has(i) && next() < 0.5 ? exit(segment, i) : enter(segment, i, (version.get(i) ?? 0) + 1));
      }
      if (tick === 6) changes.push(...refresh(a, range(0, 2100).filter((i) => i % 3 !== 0), 3));
      await stack.publish(changes);
      await new Promise((r) => setTimeout(r, 1500 + next() * 2000));
    }
    expect(actions).toEqual(expect.arrayContaining(['join', 'stop', 'kill']));
    await oneActive();
    await exact(`after the storm (${actions.join(', ')})`);
    // Every live instance is ready: the active one consuming, the others standing by.
    for (const s of alive()) expect((await fetch(`http://127.0.0.1:${s.port}/health/ready`)).status).toBe(200);

    // All stopped at once, as `docker compose down` does: the group rebalances while they stop,
    // which must not start anything again in an instance already stopping (a standby began a
    // second copy of the changelog as its disk closed).
    await Promise.all(alive().map((s) => s.kill('SIGTERM')));
    const followerStarts = (s: RunningService) =>
      readFileSync(s.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes(`"pid":${s.child.pid},`) && line.includes('"context":"StateFollower"') && line.includes('standing by:')).length;
    expect(instances.filter((s) => followerStarts(s) > 1).map((s) => s.logFile)).toEqual([]);
  }, 600000);

  it('an active instance paused until another took over sends nothing when it resumes mid-batch', async () => {
    const z = uniqueName('inst-z');
    members.set(z, new Set());
    const connection = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const audienceId = (await stack.api('GET', `/connections/${connection}`)).body.facebook.audienceId as string;
    const fb = await stack.api('POST', '/exports', { displayName: 'fb-z', connectionId: connection, segments: [{ id: z, name: z }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    expect(fb.status).toBe(201);
    const exact = (what: string) =>
      eventually(async () => sorted(await stack.facebookMembers(audienceId)) === sorted([...members.get(z)!].map((i) => fbRow(email(i, version.get(i) ?? 0)))), 120000, `the audience to be exact ${what}`);
    // Two instances of its own; any left running (the stack's) stop first.
    await Promise.all([stack.services.get('segment-streamer')!, ...alive()].map((s) => s.kill('SIGTERM')));
    const first = await start();
    await eventually(async () => (await metric(first, 'streamer_active')) === 1, 60000, 'the first instance to lead');
    await stack.untilActive(fb.body.id, fb.body.version);
    const second = await start();
    await eventually(async () => (await metric(second, 'streamer_active')) === 0 && (await fetch(`http://127.0.0.1:${second.port}/health/ready`)).ok, 60000, 'the second instance to stand by');

    // A refresh large enough that completing it takes the active instance seconds; paused (as a
    // long GC or a network partition would) once the hasher has passed all of it on, so mid-work.
    const listed = range(10000, 40000);
    await stack.publish(refresh(z, listed, 1));
    await drained([['identifier-hasher', Topics.segmentEvents]]);
    first.child.kill('SIGSTOP');
    try {
      // The session timeout passes; the second takes over, completes the refresh, then a smaller one.
      await eventually(async () => (await metric(second, 'streamer_active')) === 1, 60000, 'the second instance to take over');
      await exact('after the paused instance was taken over from');
      await stack.publish(refresh(z, listed.slice(0, 10), 1));
      await exact('after the segment shrank');
    } finally {
      first.child.kill('SIGCONT');
    }
    // Resumed, it finds another instance in charge and stops; what it had in hand must not reach the audience.
    await eventually(() => first.child.exitCode !== null || first.child.signalCode !== null, 60000, 'the resumed instance to stop');
    await drained();
    await exact('after the paused instance resumed');
  }, 300000);
});
