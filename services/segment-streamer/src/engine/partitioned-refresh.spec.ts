import { HashedSegmentEvent } from '@audience-sync/contracts';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { hashFirst } from '../../../../test/support/hash-first';
import { emailAudience, emailDigest as digest, openStore, range, refreshPart, secondsAfterNovember as at } from '../../../../test/support/refresh-events';
import { MembershipEngine } from './membership-engine';
import { StateStore } from './state-store';

const config = facebookConfig('E', ['s']);
const three = { partitions: 3, partitionOf: (profileId: string) => Number(profileId.slice(1)) % 3 };
const refresh = (refreshId: string, part: number, final: boolean, ids: number[], s: number) => refreshPart('s', refreshId, part, final, ids, s);
const slicePartition = (e: HashedSegmentEvent) => (e.type === 'refresh' ? Math.floor((e.part - 1) / 5) % 3 : -1);

/**
 * A refresh cut for three partitions of the hashed topic: each partition's share ends in a final
 * slice of its own, and the refresh is applied only once every partition's slices are there, in
 * whatever order the partitions deliver them.
 */
describe.each(['memory', 'level'])('a refresh cut for several partitions (%s store)', (kind) => {
  let store: StateStore;
  let close: () => Promise<void>;
  let engine: MembershipEngine;
  let audience: Set<string>;
  const errors: string[] = [];

  beforeEach(async () => {
    ({ store, close } = await openStore(kind, 'partitioned-refresh-'));
    audience = new Set();
    engine = new MembershipEngine(store, emailAudience(audience), { report: async () => undefined });
    (engine as unknown as { logger: { error: (m: unknown) => void } }).logger.error = (m) => void errors.push(String(typeof m === 'object' && m && 'text' in m ? (m as { text: string }).text : m));
    await engine.applyConfig('E', config);
    await engine.handleEvents(hashFirst([config])([refresh('old', 1, true, range(0, 10), 0)]));
    expect(audience.size).toBe(10);
  });

  afterEach(() => close());

  it('waits for every partition’s share, finals first or last, then lists exactly its members', async () => {
    const slices = hashFirst([config], three)([refresh('new', 1, false, range(5, 25), 10), refresh('new', 2, true, range(25, 40), 10)]);
    expect(slices.filter((e) => e.type === 'refresh' && e.final)).toHaveLength(3);
    // Partition 0, then 2: two of three shares complete, finals included; nothing may change yet.
    for (const partition of [0, 2]) await engine.handleEvents(slices.filter((e) => slicePartition(e) === partition));
    expect([...audience].sort()).toEqual(range(0, 10).map((i) => digest(`p${i}@example.com`)).sort());
    // Partition 1 in reverse: its final first.
    await engine.handleEvents(slices.filter((e) => slicePartition(e) === 1).reverse());
    expect([...audience].sort()).toEqual(range(5, 40).map((i) => digest(`p${i}@example.com`)).sort());
  });

  it('a profile listed in two parts of a chunk keeps the newer part’s time: an exit between the two times does not remove it', async () => {
    // p1 in part 1, at 10 s, and again in part 2, at 5 s: small parts, so both land in one chunk.
    await engine.handleEvents(hashFirst([config])([refresh('dup', 1, false, [1], 10), refresh('dup', 2, true, [1, 2], 5)]));
    await engine.handleEvents(hashFirst([config])([{ type: 'membership', eventId: 'x', occurredAt: at(7), segmentId: 's', segmentName: 's', profileId: 'p1', status: 'exited', attributes: null }]));
    expect(audience.has(digest('p1@example.com'))).toBe(true);
  });

  it('slices cut for different partition counts (the topic grew mid-refresh) never complete: the error says to send the refresh again', async () => {
    const before = hashFirst([config])([refresh('grown', 1, false, range(5, 25), 10)]);
    const after = hashFirst([config], three)([refresh('grown', 2, true, range(25, 40), 10)]);
    await engine.handleEvents([...before, ...after]);
    expect([...audience].sort()).toEqual(range(0, 10).map((i) => digest(`p${i}@example.com`)).sort());
    expect(errors.at(-1)).toMatch(/refresh grown of segment s: .*cut for 1 and 3 partitions.*send the segment's refresh again/);
  });
});
