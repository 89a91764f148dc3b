import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentEvent } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { serviceEnvironment } from '../../deploy/local/stack-env';
import { RunningService, startService } from '../../tools/services';
import { Stack } from '../support/stack';
import { drained } from '../support/drained';
import { eventually, uniqueName } from '../support/env';

const email = (i: number, version = 0) => `restore${i}${version ? `.v${version}` : ''}@example.com`;
const fbRow = (address: string) => memberKey(facebookRows(['EMAIL'], [{ op: 'add', identifiers: { EMAIL: address } }]).adds[0]);
const msRow = (address: string) => memberKey(microsoftEmails([{ op: 'add', identifiers: { EMAIL: address } }]).adds);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * The streamer's state lives on in its changelog topic: a streamer killed mid-stream whose disk is
 * then lost starts on an empty directory, restores its state and goes on exactly, removing members
 * whose exits carry no attributes (only the restored state knows what was sent for them). A clean
 * stop keeps the disk, and so does a crash when nothing else wrote to the changelog since. A second
 * instance stands by and takes over from a crashed or stopped one.
 */
describe('end to end: the streamer restores its state from the changelog', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-02T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();
  const exited = (segmentId: string, i: number): SegmentEvent => ({ type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'exited', attributes: null });
  const refresh = (segmentId: string, ids: number[], parts = 1): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    const occurredAt = at();
    const size = Math.ceil(ids.length / parts);
    return range(0, parts).map((p) => ({
      type: 'refresh', eventId: `${refreshId}-${p}`, occurredAt, segmentId, segmentName: segmentId, refreshId, part: p + 1, final: p === parts - 1,
      members: ids.slice(p * size, (p + 1) * size).map((i) => ({ profileId: `p${i}`, attributes: { PrimaryEmail: email(i) } })),
    }));
  };
  const metrics = async (port = stack.services.get('segment-streamer')!.port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metric = async (name: string, port?: number) => Number(new RegExp(`^audience_sync_${name} (\\S+)$`, 'm').exec(await metrics(port))?.[1] ?? NaN);
  /** How the running streamer (or the one on `port`) found its state. */
  const recovery = async (port?: number) => /^audience_sync_streamer_state_recovery\{how="([^"]+)"\} 1$/m.exec(await metrics(port))?.[1];
  const loseDisk = () => {
    rmSync(stack.env.STREAMER_STATE_DIR, { recursive: true, force: true });
    mkdirSync(stack.env.STREAMER_STATE_DIR);
  };

  beforeAll(() => stack.start(), 180000);
  afterAll(() => stack.stop());

  it('ends exact after a SIGKILL and a lost disk, after a clean stop, after a crash that keeps the disk, after losing that disk, and when a standby takes over from a killed or stopped instance', async () => {
    const segment = uniqueName('restore');
    const fbConnection = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const audienceId = (await stack.api('GET', `/connections/${fbConnection}`)).body.facebook.audienceId as string;
    const fb = await stack.api('POST', '/exports', { displayName: 'fb', connectionId: fbConnection, segments: [{ id: segment, name: segment }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    const msConnection = await stack.connect('microsoft-advertising');
    const ms = await stack.api('POST', '/exports', { displayName: 'ms', connectionId: msConnection, segments: [{ id: segment, name: segment }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect([fb.status, ms.status]).toEqual([201, 201]);
    await Promise.all([stack.untilActive(fb.body.id, fb.body.version), stack.untilActive(ms.body.id, ms.body.version)]);

    const holds = (ids: number[], address: (i: number) => string = (i) => email(i)) =>
      eventually(
        async () => {
          const [fbMembers, msMembers] = [(await stack.facebookMembers(audienceId)).sort(), ((await stack.microsoftMembers(segment)) ?? []).sort()];
          return JSON.stringify(fbMembers) === JSON.stringify(ids.map((i) => fbRow(address(i))).sort()) && JSON.stringify(msMembers) === JSON.stringify(ids.map((i) => msRow(address(i))).sort());
        },
        60000,
        `both audiences to hold ${ids.length} members`,
      );

    await stack.publish(refresh(segment, range(0, 300), 3));
    await holds(range(0, 300));
    // Committed, so its state is on the changelog (a kill before the commit replays the input instead).
    await drained();

    // Killed with its disk lost: the new process starts on an empty directory.
    await stack.restart('segment-streamer', 'SIGKILL', loseDisk);
    expect(await recovery()).toBe('restored');
    expect(await metric('streamer_state_restored_records_total')).toBeGreaterThanOrEqual(300);
    expect(await metric('streamer_state_restore_remaining_records')).toBe(0);
    // Exits without attributes, and a refresh that no longer lists 250–299: only the restored sent state says which rows they were.
    await stack.publish([...range(0, 20).map((i) => exited(segment, i)), ...refresh(segment, range(20, 250), 2)]);
    await holds(range(20, 250));

    // A clean stop keeps the disk: nothing to restore.
    await stack.restart('segment-streamer', 'SIGTERM');
    expect(await recovery()).toBe('kept');
    expect(await metric('streamer_state_restored_records_total')).toBe(0);
    await stack.publish(range(20, 40).map((i) => exited(segment, i)));
    await holds(range(40, 250));

    // A crash with nothing else written to the changelog since: the disk is kept, nothing restored, still exact.
    await drained();
    await stack.restart('segment-streamer', 'SIGKILL');
    expect(await recovery()).toBe('caught-up');
    expect(await metric('streamer_state_restored_records_total')).toBe(0);
    expect(readdirSync(stack.env.STREAMER_STATE_DIR).length).toBeGreaterThan(0);
    await stack.publish(range(40, 60).map((i) => exited(segment, i)));
    await holds(range(60, 250));

    // The changelog kept up with the kept disk: losing the disk now restores all of it.
    await drained();
    await stack.restart('segment-streamer', 'SIGKILL', loseDisk);
    expect(await metric('streamer_state_restored_records_total')).toBeGreaterThanOrEqual(190);
    await stack.publish(range(60, 80).map((i) => exited(segment, i)));
    await holds(range(80, 250));

    // A second instance on the same changelog (its own disk) stands by: ready, consuming nothing,
    // while the first goes on.
    const secondDir = mkdtempSync(join(tmpdir(), 'streamer-second-'));
    const second = await startService('segment-streamer', 'STREAMER_PORT', { ...serviceEnvironment('segment-streamer', stack.env), STREAMER_STATE_DIR: secondDir }, undefined, 'segment-streamer-second');
    const active = (s: RunningService) => metric('streamer_active', s.port);
    try {
      const ready = await fetch(`http://127.0.0.1:${second.port}/health/ready`);
      expect([ready.status, await active(second)]).toEqual([200, 0]);
      expect(await ready.text()).toContain('standing by');
      // Events under many keys, so every input partition has some: all of them stay with the first.
      await stack.publish([...range(0, 24).map((i) => exited(uniqueName('elsewhere'), i)), ...range(80, 100).map((i) => exited(segment, i))]);
      await holds(range(100, 250));
      await drained();
      const first = stack.services.get('segment-streamer')!;
      expect([first.child.exitCode, await active(first), await active(second)]).toEqual([null, 1, 0]);
      // The standby's copy has read all the first wrote (asked every 10 s).
      await eventually(async () => (await metric('streamer_standby_lag_messages', second.port)) === 0, 30000, 'the standby to have read the changelog');

      // The active one killed in the middle of a refresh: the standby takes over, restores the
      // state from the changelog and finishes the refresh exactly.
      await stack.publish(refresh(segment, range(100, 400), 3));
      await first.kill('SIGKILL');
      await eventually(async () => (await active(second)) === 1, 60000, 'the standby to take over');
      // It followed the changelog while standing by: taking over read only what came since.
      await eventually(async () => (await recovery(second.port)) !== undefined, 30000, 'the standby to recover its state');
      expect(await recovery(second.port)).toBe('followed');
      await holds(range(100, 400));

      // Back after the crash, the first stands by; a clean stop of the second hands over to it at once.
      await stack.restart('segment-streamer', 'SIGKILL');
      expect(await active(stack.services.get('segment-streamer')!)).toBe(0);
      await second.kill('SIGTERM');
      await eventually(async () => (await active(stack.services.get('segment-streamer')!)) === 1, 30000, 'the first to take over again');
      // Its crashed disk was not a copy of the changelog: emptied and copied while standing by, then followed.
      await eventually(async () => (await recovery()) !== undefined, 30000, 'the first to recover its state');
      expect(await recovery()).toBe('followed');
      await stack.publish(range(100, 120).map((i) => exited(segment, i)));
      await holds(range(120, 400));
      // Once active, a former standby stops cleanly like any instance: its disk is kept at the next start.
      await drained();
      await stack.restart('segment-streamer', 'SIGTERM');
      expect(await recovery()).toBe('kept');
    } finally {
      await second.kill('SIGTERM');
      rmSync(secondDir, { recursive: true, force: true });
    }
  }, 300000);
});
