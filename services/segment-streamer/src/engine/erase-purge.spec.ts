import { ExportConfig, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { hash } from 'node:crypto';
import { hashFirst } from '../../../../test/support/hash-first';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/** A digest as the streamer keeps and compares it (base64url; the sinks get hex). */
const digest = (value: string) => hash('sha256', value, 'base64url');

const config: ExportConfig = {
  exportId: 'E',
  version: 1,
  displayName: 'E',
  connectionId: 'c1',
  connectionState: 'active',
  segments: [{ id: 'a', name: 'a' }],
  maxProfiles: 100,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'facebook-ads', adAccountId: '1', audienceId: 'aud', keyIdentifier: 'email', mappings: { EMAIL: 'Email' } },
};
const hashed = hashFirst([config]);
const DAY = 24 * 60 * 60 * 1000;
const at = (ms: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + ms).toISOString();
const email = (i: number) => `p${i}@example.com`;
const refresh = (ids: number[], ms: number): SegmentEvent => ({
  type: 'refresh', eventId: `r${ms}`, occurredAt: at(ms), segmentId: 'a', segmentName: 'a', refreshId: `r${ms}`, part: 1, final: true,
  members: ids.map((i) => ({ profileId: `p${i}`, attributes: { Email: email(i) } })),
});
const entered = (i: number, ms: number): SegmentEvent => ({ type: 'membership', eventId: `m${i}-${ms}`, occurredAt: at(ms), segmentId: 'a', segmentName: 'a', profileId: `p${i}`, status: 'entered' });

describe('erasure and purge', () => {
  let store: MemoryStore;
  let engine: MembershipEngine;
  let audience: Set<string>;
  let runs: Omit<RunStatus, 'stage' | 'at'>[];

  beforeEach(async () => {
    store = new MemoryStore();
    audience = new Set();
    runs = [];
    const apply = (batches: ChangeBatch[]) => batches.forEach((b) => b.changes.forEach((c) => (c.op === 'add' ? audience.add(c.columns.EMAIL) : audience.delete(c.columns.EMAIL))));
    engine = new MembershipEngine(store, { send: async (b) => apply(b) }, { report: async (s) => void runs.push(s) }, { purgeAfterMs: 7 * DAY });
    await engine.applyConfig('E', config);
    await engine.handleEvents(hashed([refresh([1, 2], 0)]));
  });

  it('an erasure removes the profile from the audience, reports it, and keeps nothing an older or attribute-less event could bring back', async () => {
    await engine.handleEvents(hashed([{ type: 'erase', eventId: 'x1', occurredAt: at(1000), profileId: 'p1' }]));
    expect([...audience]).toEqual([digest(email(2))]);
    expect(runs.at(-1)).toMatchObject({ runId: 'erase-x1-E', trigger: 'erase', state: 'succeeded', counts: { removed: 1 } });
    expect(store.profileStates.get('p1')?.attributes).toEqual({});
    expect([...store.sentEntries.values()].map((e) => e.profileId)).toEqual(['p2']);
    // An older event is not applied; a newer one without attributes has nothing to send.
    await engine.handleEvents(hashed([entered(1, 500), entered(1, 2000)]));
    expect([...audience]).toEqual([digest(email(2))]);
  });

  it('an erasure older than a refresh that keeps the profile in the segment still takes its row: the refresh listed it without attributes', async () => {
    const listing: SegmentEvent = {
      type: 'refresh', eventId: 'r2000', occurredAt: at(2000), segmentId: 'a', segmentName: 'a', refreshId: 'r2000', part: 1, final: true,
      members: [{ profileId: 'p1' }, { profileId: 'p2', attributes: { Email: email(2) } }],
    };
    // One batch: the refresh is applied before the erasure, which is older.
    await engine.handleEvents(hashed([{ type: 'erase', eventId: 'x1', occurredAt: at(1000), profileId: 'p1' }, listing]));
    expect(store.profileStates.get('p1')?.attributes).toEqual({});
    expect([...audience]).toEqual([digest(email(2))]);
  });

  it('a refresh drops the records of profiles out since before it, and the attributes of those out of every segment for longer than the purge window', async () => {
    await engine.handleEvents(hashed([refresh([2], DAY)]));
    expect([...store.members.keys()].some((k) => k.includes('"p1"'))).toBe(true);
    expect(store.profileStates.has('p1')).toBe(true);
    // p1's out-record (from the refresh at day 1) is older than this refresh; its attributes (day 0) older than the 7-day window.
    await engine.handleEvents(hashed([refresh([2], 9 * DAY)]));
    expect([...store.members.keys()].some((k) => k.includes('"p1"'))).toBe(false);
    expect(store.profileStates.has('p1')).toBe(false);
    expect(store.profileStates.has('p2')).toBe(true);
    expect([...audience]).toEqual([digest(email(2))]);
  });
});
