import { SegmentEvent } from '@audience-sync/contracts';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { hashFirst } from '../../../../test/support/hash-first';
import { emailAudience, emailDigest, openStore, range, refreshPart as refresh } from '../../../../test/support/refresh-events';
import { MembershipEngine } from './membership-engine';
import { StateStore } from './state-store';

const HOUR = 60 * 60 * 1000;
const config = facebookConfig('E', ['s', 't']);

/**
 * A refresh whose remaining parts never come, of a segment never refreshed again (deleted
 * upstream, say), is never superseded either: its staged parts — members' digests, an erased
 * profile's too — would stay on disk and in the changelog for good. Once no part of it arrived for
 * the abandon period (by the streamer's clock: a backfill of old refreshes is not abandoned for its
 * event times), it is dropped and said in the log; refreshes still arriving are kept.
 */
describe.each(['memory', 'level'])('an incomplete refresh that gets no part for the abandon period (%s store)', (kind) => {
  let store: StateStore;
  let close: () => Promise<void>;
  let now: number;
  /** When the instance became active: long enough ago unless a test says otherwise. */
  let started: number;
  let audience: Set<string>;
  const warnings: string[] = [];

  const engineOn = async () => {
    const engine = new MembershipEngine(
      store,
      emailAudience(audience),
      { report: async () => undefined },
      { abandonRefreshAfterMs: 24 * HOUR, now: () => now },
    );
    (engine as unknown as { logger: { warn: (m: unknown) => void } }).logger.warn = (m) => void warnings.push(String(m));
    await engine.applyConfig('E', config);
    return engine;
  };

  beforeEach(async () => {
    ({ store, close } = await openStore(kind, 'abandoned-refresh-'));
    audience = new Set();
    warnings.length = 0;
    now = Date.parse('2026-12-01T00:00:00Z');
    started = now - 48 * HOUR;
  });

  afterEach(() => close());

  it('drops what was staged for it, keeps a refresh that got a part since, and the segment refreshes normally after', async () => {
    let engine = await engineOn();
    const send = (events: SegmentEvent[]) => engine.handleEvents(hashFirst([config])(events));
    await send([refresh('s', 'stuck', 1, false, range(0, 5), 10), refresh('s', 'stuck', 2, false, range(5, 10), 10), refresh('t', 'slow', 1, false, range(50, 55), 10)]);
    now += 20 * HOUR;
    await send([refresh('t', 'slow', 2, false, range(55, 60), 10)]);

    now += 3 * HOUR;
    expect(await engine.dropAbandonedRefreshes(started)).toBe(0);
    expect((await store.stagedParts('stuck')).length).toBeGreaterThan(0);

    // A restarted engine: when the parts came is read from the store.
    engine = await engineOn();
    now += 2 * HOUR;
    expect(await engine.dropAbandonedRefreshes(started)).toBe(1);
    expect(await store.stagedParts('stuck')).toEqual([]);
    expect((await store.stagedParts('slow')).length).toBeGreaterThan(0);
    expect(warnings).toEqual([expect.stringMatching(/refresh stuck of segment s never completed, and no part of it arrived for 25 hours: what was staged for it is dropped/)]);
    expect(audience.size).toBe(0);

    // The other refresh still completes, and the segment's next refresh applies as any other.
    await send([refresh('t', 'slow', 3, true, range(60, 62), 10), refresh('s', 'next', 1, true, range(20, 25), 20)]);
    expect([...audience].sort()).toEqual([...range(20, 25), ...range(50, 62)].map((i) => emailDigest(`p${i}@example.com`)).sort());
    expect(await store.stagedParts('slow')).toEqual([]);
  });

  it('goes by when the parts arrived, not by the refresh event time: an old refresh sent now is kept', async () => {
    const engine = await engineOn();
    // Event time a month before the clock.
    await engine.handleEvents(hashFirst([config])([refresh('s', 'backfill', 1, false, range(0, 5), 10)]));
    now += 23 * HOUR;
    expect(await engine.dropAbandonedRefreshes(started)).toBe(0);
    expect((await store.stagedParts('backfill')).length).toBeGreaterThan(0);
  });

  it('drops nothing before the instance has been active for the period: parts may have waited in the topic meanwhile', async () => {
    const engine = await engineOn();
    await engine.handleEvents(hashFirst([config])([refresh('s', 'stuck', 1, false, range(0, 5), 10)]));
    now += 30 * HOUR;
    started = now - 23 * HOUR;
    expect(await engine.dropAbandonedRefreshes(started)).toBe(0);
    expect((await store.stagedParts('stuck')).length).toBeGreaterThan(0);
    started = now - 24 * HOUR;
    expect(await engine.dropAbandonedRefreshes(started)).toBe(1);
  });
});
