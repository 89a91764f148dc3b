import { ExportConfig, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { streamOf } from '@audience-sync/destinations';
import { hash } from 'node:crypto';
import { DestinationAudiences } from '../../../../test/support/destination-audiences';
import { hashFirst } from '../../../../test/support/hash-first';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/**
 * A paused export is sent nothing while the engine keeps its members current; the full sync the
 * registry starts on resume brings its audience exactly to the members of now. Exports on the same
 * segments, or feeding the same destination audience, flow on meanwhile.
 */
const digest = (value: string) => hash('sha256', value, 'base64url');
const email = (i: number) => `p${i}@example.com`;
const rows = (...ids: number[]) => ids.map((i) => digest(email(i))).sort();

const config = (exportId: string, segmentIds: string[], audienceId: string, version = 1, paused?: boolean): ExportConfig =>
  facebookConfig(exportId, segmentIds, { audienceId, version, ...(paused === undefined ? {} : { paused }) });

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const hashed = hashFirst([config('A', ['s'], 'one')]);
const refresh = (segmentId: string, ids: number[]): SegmentEvent => {
  const refreshId = `r-${segmentId}-${clock}`;
  return { type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: { Email: email(i) } })) };
};
const member = (segmentId: string, i: number, status: 'entered' | 'exited'): SegmentEvent => ({
  type: 'membership', eventId: `${status}-${segmentId}-${i}-${clock}`, occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status, attributes: { Email: email(i) },
});

describe('a paused export', () => {
  let destination: DestinationAudiences;
  let engine: MembershipEngine;
  let runs: Omit<RunStatus, 'stage' | 'at'>[];
  /** Batches sent for an export since the test said so. */
  const sentFor = (exportId: string, since: number) => destination.modes.slice(since).filter((m) => m.startsWith(`${exportId}:`));

  beforeEach(async () => {
    destination = new DestinationAudiences();
    runs = [];
    engine = new MembershipEngine(new MemoryStore(), { send: async (batches) => batches.forEach((b) => destination.apply(b)) }, { report: async (s) => void runs.push(s) });
    // A and B on one segment, each its own audience; C on another segment, feeding A's audience.
    await engine.applyConfig('A', config('A', ['s'], 'one'));
    await engine.applyConfig('B', config('B', ['s'], 'two'));
    await engine.applyConfig('C', config('C', ['t'], 'one'));
    await engine.handleEvents(hashed([refresh('s', [1, 2, 3]), refresh('t', [7])]));
    expect(destination.members('one')).toEqual(rows(1, 2, 3, 7));
    expect(destination.members('two')).toEqual(rows(1, 2, 3));
  });

  it('is sent nothing while the export on its segment and the one on its audience flow on; its resume makes its audience exact', async () => {
    await engine.applyConfig('A', config('A', ['s'], 'one', 2, true));
    const paused = destination.modes.length;

    await engine.handleEvents(hashed([member('s', 4, 'entered'), member('s', 2, 'exited'), member('t', 8, 'entered'), member('t', 7, 'exited')]));
    await engine.handleEvents(hashed([refresh('s', [1, 3, 4, 5])]));

    expect(sentFor('A', paused)).toEqual([]);
    expect(runs.filter((r) => r.exportId === 'A')).toHaveLength(1); // the refresh before the pause
    expect(destination.members('two')).toEqual(rows(1, 3, 4, 5));
    // C's changes arrive; A's rows stay as they were sent, 2 included.
    expect(destination.members('one')).toEqual(rows(1, 2, 3, 8));

    await engine.applyConfig('A', config('A', ['s'], 'one', 3, false));
    expect(sentFor('A', paused)).toEqual([]);
    await engine.handleRunRequest({ runId: 'resume', exportId: 'A', exportVersion: 3, requestedAt: at() });
    expect(destination.members('one')).toEqual(rows(1, 3, 4, 5, 8));
    expect(runs.at(-1)).toMatchObject({ runId: 'resume', state: 'succeeded', counts: { sent: 4, removed: 1 } });
  });

  it('alone on its audience, is replaced by the full sync on resume, a segment added while paused included', async () => {
    await engine.applyConfig('C', config('C', ['t'], 'three', 2));
    await engine.applyConfig('A', config('A', ['s'], 'one', 2, true));
    await engine.handleEvents(hashed([member('s', 1, 'exited'), member('u', 9, 'entered')]));
    await engine.applyConfig('A', config('A', ['s', 'u'], 'one', 3, true));
    const paused = destination.modes.length;
    await engine.handleEvents(hashed([member('s', 6, 'entered')]));
    expect(sentFor('A', paused)).toEqual([]);

    await engine.applyConfig('A', config('A', ['s', 'u'], 'one', 4));
    await engine.handleRunRequest({ runId: 'resume', exportId: 'A', exportVersion: 4, requestedAt: at() });
    expect(destination.modes.at(-1)).toBe('A:full-sync');
    expect(destination.members('one')).toEqual(rows(2, 3, 6, 9));
  });

  it('starts no full sync: a run reaching it fails saying how to resume, and sends nothing', async () => {
    await engine.applyConfig('A', config('A', ['s'], 'one', 2, true));
    const paused = destination.modes.length;
    await engine.handleRunRequest({ runId: 'now', exportId: 'A', requestedAt: at() });
    expect(sentFor('A', paused)).toEqual([]);
    expect(runs.at(-1)).toMatchObject({ runId: 'now', state: 'failed', error: expect.stringContaining('paused') });
    expect(runs.at(-1)!.error).toContain('"paused": false');
  });

  it('may be dry-run: it sends nothing and tells what the resume would do', async () => {
    await engine.applyConfig('A', config('A', ['s'], 'one', 2, true));
    await engine.handleEvents(hashed([member('s', 2, 'exited'), member('s', 4, 'entered')]));
    const paused = destination.modes.length;
    await engine.handleRunRequest({ runId: 'dry', exportId: 'A', requestedAt: at(), dryRun: true });
    expect(sentFor('A', paused)).toEqual([]);
    expect(runs.at(-1)).toMatchObject({ runId: 'dry', state: 'succeeded', dryRun: { wouldAdd: 1, wouldRemove: 1, wouldKeep: 2 } });
  });

  it('still has an erased profile removed at once: an erasure does not wait for a resume', async () => {
    await engine.applyConfig('A', config('A', ['s'], 'one', 2, true));
    await engine.handleEvents(hashed([{ type: 'erase', eventId: 'erase-1', occurredAt: at(), profileId: 'p1' }]));
    expect(destination.members('one')).toEqual(rows(2, 3, 7));
    expect(destination.members('two')).toEqual(rows(2, 3));
  });

  it('that stopped feeding a list while paused empties that list once resumed (Microsoft: a list per segment)', async () => {
    const microsoft = (version: number, segmentIds: string[], paused?: boolean): ExportConfig => ({
      ...config('M', segmentIds, 'unused', version, paused),
      destination: { type: 'microsoft-advertising', customerId: '1', accountId: '2', emailAttribute: 'Email', acceptCustomerMatchTerms: true },
    });
    const listOf = (segmentId: string) => streamOf(microsoft(1, ['s', 't'])).audiences.find((a) => a.segmentIds.includes(segmentId))!.audienceKey;
    await engine.applyConfig('M', microsoft(1, ['s', 't']));
    await engine.handleRunRequest({ runId: 'first', exportId: 'M', requestedAt: at() });
    expect(destination.members(listOf('t'))).toEqual(rows(7));

    await engine.applyConfig('M', microsoft(2, ['s', 't'], true));
    await engine.applyConfig('M', microsoft(3, ['s'], true));
    const paused = destination.modes.length;
    expect(sentFor('M', paused)).toEqual([]);
    await engine.applyConfig('M', microsoft(4, ['s']));
    await engine.handleRunRequest({ runId: 'resume', exportId: 'M', exportVersion: 4, requestedAt: at() });
    expect(destination.members(listOf('t'))).toEqual([]);
    expect(destination.members(listOf('s'))).toEqual(rows(1, 2, 3));
  });
});
