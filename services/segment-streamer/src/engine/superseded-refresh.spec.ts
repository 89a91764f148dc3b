import { SegmentEvent } from '@audience-sync/contracts';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { hashFirst } from '../../../../test/support/hash-first';
import { emailAudience, emailDigest, openStore, range, refreshPart as refresh } from '../../../../test/support/refresh-events';
import { MembershipEngine } from './membership-engine';
import { StateStore } from './state-store';

const config = facebookConfig('E', ['s', 't']);

/**
 * A refresh whose last parts never come (lost upstream) would keep its staged parts — members'
 * digests, an erased profile's too — on disk and in the changelog for good. Upstream sends a
 * segment's refreshes in order, so once a newer one of the segment completes, the older one has
 * had all it will get: it is dropped, said in the log. Other segments' refreshes, and a newer
 * one still arriving, are kept.
 */
describe.each(['memory', 'level'])('an incomplete refresh superseded by a newer one (%s store)', (kind) => {
  let store: StateStore;
  let close: () => Promise<void>;
  let engine: MembershipEngine;
  let audience: Set<string>;
  const warnings: string[] = [];
  const send = (events: SegmentEvent[]) => engine.handleEvents(hashFirst([config])(events));

  beforeEach(async () => {
    ({ store, close } = await openStore(kind, 'superseded-refresh-'));
    audience = new Set();
    warnings.length = 0;
    engine = new MembershipEngine(store, emailAudience(audience), { report: async () => undefined });
    (engine as unknown as { logger: { warn: (m: unknown) => void } }).logger.warn = (m) => void warnings.push(String(m));
    await engine.applyConfig('E', config);
  });

  afterEach(() => close());

  it('drops an older refresh sent before a newer one that completes, and keeps the rest', async () => {
    // Two parts of three of "lost" (its last never comes) and one of two of segment t's, at 10 s;
    // one of "later" (30 s), then "done" (20 s), complete.
    await send([refresh('s', 'lost', 1, false, range(0, 5), 10), refresh('s', 'lost', 2, false, range(5, 10), 10), refresh('t', 'other', 1, false, range(50, 55), 10)]);
    await send([refresh('s', 'later', 1, false, range(30, 35), 30), refresh('s', 'done', 1, true, range(20, 25), 20)]);
    expect([...audience].sort()).toEqual(range(20, 25).map((i) => emailDigest(`p${i}@example.com`)).sort());
    expect(await store.stagedParts('lost')).toEqual([]);
    // Another segment's, and a newer one of the segment sent before (two at once), are kept.
    expect((await store.stagedParts('other')).length).toBeGreaterThan(0);
    expect((await store.stagedParts('later')).length).toBeGreaterThan(0);
    expect(warnings).toEqual([expect.stringMatching(/refresh lost of segment s never completed: the newer refresh done, sent after it, did, so what was staged for it is dropped/)]);

    // An older refresh sent after "later" began ("late", 5 s): still arriving when "later" completes, kept.
    await send([refresh('s', 'late', 1, false, range(60, 65), 5), refresh('t', 'other', 2, true, range(55, 60), 10), refresh('s', 'later', 2, true, range(35, 40), 30)]);
    expect([...audience].sort()).toEqual([...range(30, 40), ...range(50, 60)].map((i) => emailDigest(`p${i}@example.com`)).sort());
    expect((await store.stagedParts('late')).length).toBeGreaterThan(0);
    await send([refresh('s', 'late', 2, true, range(65, 70), 5)]);
    expect(await store.stagedParts('late')).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it('a restarted engine finds the older refresh on disk', async () => {
    await send([refresh('s', 'lost', 1, false, range(0, 5), 10)]);
    engine = new MembershipEngine(store, { send: async () => undefined }, { report: async () => undefined });
    (engine as unknown as { logger: { warn: (m: unknown) => void } }).logger.warn = (m) => void warnings.push(String(m));
    await engine.applyConfig('E', config);
    await send([refresh('s', 'done', 1, true, range(20, 25), 20)]);
    expect(await store.stagedParts('lost')).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});
