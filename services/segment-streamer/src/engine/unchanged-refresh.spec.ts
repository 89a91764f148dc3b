import { SegmentEvent } from '@audience-sync/contracts';
import { hash } from 'node:crypto';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { hashFirst } from '../../../../test/support/hash-first';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';
import { ProfileState } from './state-store';

const digest = (value: string) => hash('sha256', value, 'base64url');
const config = facebookConfig('E', ['a', 'b']);
const hashed = hashFirst([config]);
const DAY = 24 * 60 * 60 * 1000;
const at = (ms: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + ms).toISOString();
const email = (i: number, version = '') => `p${i}${version}@example.com`;
const refresh = (segmentId: string, members: [number, string][], ms: number): SegmentEvent => ({
  type: 'refresh', eventId: `${segmentId}${ms}`, occurredAt: at(ms), segmentId, segmentName: segmentId, refreshId: `${segmentId}${ms}`, part: 1, final: true,
  members: members.map(([i, address]) => ({ profileId: `p${i}`, attributes: { Email: address } })),
});
/** p1 enters segment a at `ms` with another email. */
const lateEntry = (ms: number): SegmentEvent => ({
  type: 'membership', eventId: `late${ms}`, occurredAt: at(ms), segmentId: 'a', segmentName: 'a', profileId: 'p1', status: 'entered', attributes: { Email: email(1, '-old') },
});

/**
 * A refresh that lists a profile with the attributes it already has rewrites nothing of the profile
 * (the listing's time is kept on its membership record instead), and events older than that
 * listing still cannot change the attributes: arriving later, as an older refresh of another
 * segment completing later, after a purge of the record, or as an erasure.
 */
describe('a refresh that changes nothing', () => {
  let store: MemoryStore;
  let engine: MembershipEngine;
  let audience: Set<string>;
  let profileWrites: ProfileState[];

  beforeEach(async () => {
    store = new MemoryStore();
    audience = new Set();
    profileWrites = [];
    const saveProfiles = store.saveProfiles.bind(store);
    store.saveProfiles = async (items) => {
      profileWrites.push(...items);
      return saveProfiles(items);
    };
    const apply = (batches: ChangeBatch[]) => batches.forEach((b) => b.changes.forEach((c) => (c.op === 'add' ? audience.add(c.columns.EMAIL) : audience.delete(c.columns.EMAIL))));
    engine = new MembershipEngine(store, { send: async (b) => apply(b) }, { report: async () => undefined }, { purgeAfterMs: 30 * DAY });
    await engine.applyConfig('E', config);
    await engine.handleEvents(hashed([refresh('a', [[1, email(1)], [2, email(2)]], 0)]));
    expect([...audience].sort()).toEqual([digest(email(1)), digest(email(2))].sort());
  });

  it('rewrites no profile, and writes the one whose attributes changed', async () => {
    profileWrites = [];
    await engine.handleEvents(hashed([refresh('a', [[1, email(1)], [2, email(2, '-new')]], DAY)]));
    expect(profileWrites.map((p) => p.profileId)).toEqual(['p2']);
    expect([...audience].sort()).toEqual([digest(email(1)), digest(email(2, '-new'))].sort());
  });

  it('an event older than the listing, arriving after it, leaves the attributes as the listing had them', async () => {
    await engine.handleEvents(hashed([refresh('a', [[1, email(1)], [2, email(2)]], DAY)]));
    await engine.handleEvents(hashed([lateEntry(DAY / 2)]));
    expect([...audience].sort()).toEqual([digest(email(1)), digest(email(2))].sort());
  });

  it('an older refresh of another segment completing later does not change them either', async () => {
    await engine.handleEvents(hashed([refresh('b', [[1, email(1)]], 2 * DAY)]));
    await engine.handleEvents(hashed([refresh('a', [[1, email(1, '-old')], [2, email(2)]], DAY)]));
    expect([...audience].sort()).toEqual([digest(email(1)), digest(email(2))].sort());
  });

  it('nor after the record that kept the listing time is purged', async () => {
    await engine.handleEvents(hashed([refresh('a', [[1, email(1)], [2, email(2)]], DAY)]));
    // p1 leaves a at day 2; its out-record goes at the refresh of day 3, its attributes stay (30-day window).
    await engine.handleEvents(hashed([refresh('a', [[2, email(2)]], 2 * DAY)]));
    await engine.handleEvents(hashed([refresh('a', [[2, email(2)]], 3 * DAY)]));
    expect([...store.members.keys()].some((k) => k.includes('"p1"'))).toBe(false);
    const listed = store.profileStates.get('p1')?.attributes;
    await engine.handleEvents(hashed([{ type: 'profile', eventId: 'late-profile', occurredAt: at(DAY / 2), profileId: 'p1', attributes: { Email: email(1, '-old') } }]));
    expect(store.profileStates.get('p1')?.attributes).toEqual(listed);
  });

  it('an erasure older than the listing drops nothing', async () => {
    await engine.handleEvents(hashed([refresh('a', [[1, email(1)], [2, email(2)]], DAY)]));
    await engine.handleEvents(hashed([{ type: 'erase', eventId: 'x1', occurredAt: at(DAY / 2), profileId: 'p1' }]));
    expect(Object.keys(store.profileStates.get('p1')?.attributes ?? {})).toEqual(['Email']);
    expect([...audience].sort()).toEqual([digest(email(1)), digest(email(2))].sort());
  });
});
