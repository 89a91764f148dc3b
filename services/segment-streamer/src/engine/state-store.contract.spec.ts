import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from './level-store';
import { MemoryStore } from './memory-store';
import { Membership, SentEntry, StagedPart, StateStore } from './state-store';

/** One set of cases for every StateStore: the engine and the property test rely on both behaving alike. */
const stores: [string, () => Promise<{ store: StateStore; close: () => Promise<void> }>][] = [
  ['memory', async () => ({ store: new MemoryStore(), close: async () => undefined })],
  [
    'LevelDB',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'level-contract-'));
      const store = new LevelStore(dir);
      await store.open();
      return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
];

const SEP = '\u0001';
/** Ids an upstream may send: the store's key characters, prefixes of each other, non-ASCII. */
const tricky = [`x${SEP}p-42`, 'p-42', `p-42${SEP}`, 'a\u0000b', 'a\u0002b', 'a', 'ab', 'é', '\uFFFD', '😀'];

async function collect<T>(source: AsyncIterable<T[]>): Promise<{ items: T[]; chunks: number[] }> {
  const items: T[] = [];
  const chunks: number[] = [];
  for await (const chunk of source) {
    items.push(...chunk);
    chunks.push(chunk.length);
  }
  return { items, chunks };
}

const all = async <T>(source: AsyncIterable<T[]>) => (await collect(source)).items;

/** Code point order, which is LevelDB's byte order for UTF-8 keys (JavaScript's `<` puts '😀' before '\uFFFD'). */
const byCodePoint = (ids: string[]) => [...ids].sort((a, b) => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
});

const member = (segmentId: string, profileId: string, t = 10, extra: Partial<Membership> = {}): Membership => ({ segmentId, profileId, member: true, t, ...extra });
const entry = (row: string): SentEntry => ({ columns: { EMAIL: `digest-of-${row}` }, row });
const part = (refreshId: string, n: number, final: boolean, profiles: string[], segmentId = 's1'): StagedPart => ({
  refreshId,
  segmentId,
  part: n,
  final,
  t: 100,
  members: profiles.map((profileId) => ({ profileId, attributes: { PrimaryEmail: { EMAIL: `digest-of-${profileId}` } } })),
});

describe.each(stores)('StateStore contract (%s)', (_name, makeStore) => {
  let store: StateStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await makeStore()));
  afterEach(() => close());

  describe('staged refresh parts', () => {
    it('dropStaged removes every part of the refresh and nothing of other refreshes', async () => {
      for (const p of [part('r1', 1, false, ['p1']), part('r1', 2, true, ['p2']), part('r10', 1, true, ['p3']), part(`r1${SEP}x`, 1, true, ['p4'])]) await store.stagePart(p);
      await store.dropStaged('r1');
      expect(await store.stagedParts('r1')).toEqual([]);
      for await (const p of store.stagedMembers('r1')) throw new Error(`part ${p.part} of r1 is still staged`);
      expect(await store.stagedParts('r10')).toEqual([{ part: 1, final: true, members: 1 }]);
      expect(await store.stagedParts(`r1${SEP}x`)).toEqual([{ part: 1, final: true, members: 1 }]);
    });

    it('lists a refresh\'s parts and yields them in part order, whatever the refresh id holds', async () => {
      const id = `r${SEP}00000001`;
      for (const n of [10, 2, 1, 9]) await store.stagePart(part(id, n, n === 10, [`p${n}`]));
      await store.stagePart(part('r', 3, false, ['other']));
      expect((await store.stagedParts(id)).map((p) => p.part).sort((a, b) => a - b)).toEqual([1, 2, 9, 10]);
      const seen: number[] = [];
      for await (const p of store.stagedMembers(id)) {
        expect(p.refreshId).toBe(id);
        seen.push(p.part);
      }
      expect(seen).toEqual([1, 2, 9, 10]);
      expect(await store.stagedParts('r')).toEqual([{ part: 3, final: false, members: 1 }]);
    });

    it('lists a segment\'s staged refreshes, each slice with the order it arrived in, whatever the ids hold', async () => {
      for (const p of [part('r1', 2, true, ['p2']), part('r10', 1, true, ['p3'], 's2'), part('r1', 1, false, ['p1']), part(`r1${SEP}x`, 1, true, ['p4'])]) await store.stagePart(p);
      const listed = (await store.stagedRefreshes('s1')).sort((a, b) => (a.refreshId < b.refreshId ? -1 : 1));
      expect(listed.map((r) => [r.refreshId, r.t, r.slices.map((s) => s.part).sort()])).toEqual([['r1', 100, [1, 2]], [`r1${SEP}x`, 100, [1]]].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      const arrival = (refreshId: string, n: number) => listed.find((r) => r.refreshId === refreshId)!.slices.find((s) => s.part === n)!.arrival!;
      expect(arrival('r1', 2)).toBeLessThan(arrival('r1', 1));
      expect(arrival('r1', 1)).toBeLessThan(arrival(`r1${SEP}x`, 1));
      expect((await store.stagedRefreshes('s2')).map((r) => r.refreshId)).toEqual(['r10']);
      await store.dropStaged('r1');
      expect((await store.stagedRefreshes('s1')).map((r) => r.refreshId)).toEqual([`r1${SEP}x`]);
    });
  });

  describe('sent entries', () => {
    const save = (exportId: string, audienceKey: string, rows: Record<string, string>, tag?: string) =>
      store.saveSent(exportId, audienceKey, Object.entries(rows).map(([profileId, row]) => ({ profileId, entry: entry(row), previous: undefined })), tag);

    it('dropSent removes the export\'s entries, row holders and audiences, and nothing of other exports', async () => {
      await save('e1', 'aud-a', { p1: 'row1', p2: 'row2' });
      await save('e1', 'aud-b', { p1: 'row1' });
      await save('e10', 'aud-a', { p1: 'row1' });
      await save(`e1${SEP}aud-a`, 'z', { p3: 'row3' });
      await store.dropSent('e1');
      expect(await store.sentAudiences('e1')).toEqual([]);
      expect(await store.sent('e1', 'aud-a', ['p1', 'p2'])).toEqual(new Map());
      expect(await all(store.sentProfiles('e1', 'aud-a', 10))).toEqual([]);
      expect(await store.rowHolders('e1', 'aud-a', ['row1', 'row2'])).toEqual(new Map());
      expect(await store.sentAudiences('e10')).toEqual(['aud-a']);
      expect(await store.rowHolders('e10', 'aud-a', ['row1'])).toEqual(new Map([['row1', ['p1']]]));
      expect(await store.sentAudiences(`e1${SEP}aud-a`)).toEqual(['z']);
      expect(await all(store.sentProfiles(`e1${SEP}aud-a`, 'z', 10))).toEqual(['p3']);
    });

    it('a dropped export starts again from nothing: everything is sent anew', async () => {
      await save('e1', 'aud', { p1: 'row1' });
      await store.dropSent('e1');
      await save('e1', 'aud', { p2: 'row2' });
      expect(await all(store.sentProfiles('e1', 'aud', 10))).toEqual(['p2']);
      expect(await store.rowHolders('e1', 'aud', ['row1', 'row2'])).toEqual(new Map([['row2', ['p2']]]));
    });

    it('dropSentExcept keeps only the entries written with the tag, and their holders', async () => {
      await save('e1', 'aud', { p1: 'row1', p2: 'shared' });
      await save('e1', 'aud', { p3: 'shared', p4: 'row4' }, 'run-1');
      await save('e1', 'other', { p1: 'row1' });
      await store.dropSentExcept('e1', 'aud', 'run-1');
      expect(await all(store.sentProfiles('e1', 'aud', 10))).toEqual(['p3', 'p4']);
      expect(await store.rowHolders('e1', 'aud', ['row1', 'shared', 'row4'])).toEqual(new Map([['shared', ['p3']], ['row4', ['p4']]]));
      expect(await all(store.sentProfiles('e1', 'other', 10))).toEqual(['p1']);
    });

    it('an updated entry moves its row holder; a removed one drops it', async () => {
      await save('e1', 'aud', { p1: 'row1', p2: 'row1' });
      await store.saveSent('e1', 'aud', [
        { profileId: 'p1', entry: entry('row2'), previous: entry('row1') },
        { profileId: 'p2', entry: null, previous: entry('row1') },
      ]);
      expect(await store.rowHolders('e1', 'aud', ['row1', 'row2'])).toEqual(new Map([['row2', ['p1']]]));
      expect([...(await store.sent('e1', 'aud', ['p1', 'p2'])).keys()]).toEqual(['p1']);
    });

    it('ids holding a key separator never alias another export, audience or profile', async () => {
      await save('e', `x\u0000y`, { p: 'row0' });
      await save('e', 'x', { [`y\u0000p`]: 'row9' });
      expect(await store.sent('e', `x\u0000y`, ['p', `y\u0000p`])).toEqual(new Map([['p', entry('row0')]]));
      await store.saveSent('e', 'x', [{ profileId: `y\u0000p`, entry: null, previous: entry('row9') }]);
      await store.saveSent('e', `x\u0000y`, [{ profileId: 'p', entry: null, previous: entry('row0') }]);
      await save('e', `x${SEP}y`, { p: 'row1' });
      await save('e', 'x', { [`y${SEP}p`]: 'row2' });
      await save('e', 'aud', Object.fromEntries(tricky.map((p, i) => [p, `row${i % 2}`])));
      expect(byCodePoint(await store.sentAudiences('e'))).toEqual(byCodePoint(['aud', 'x', `x${SEP}y`]));
      expect(await all(store.sentProfiles('e', 'x', 10))).toEqual([`y${SEP}p`]);
      expect(await all(store.sentProfiles('e', `x${SEP}y`, 10))).toEqual(['p']);
      expect(await store.sent('e', 'x', ['p', `y${SEP}p`])).toEqual(new Map([[`y${SEP}p`, entry('row2')]]));
      expect(await store.rowHolders('e', 'x', ['row1', 'row2'])).toEqual(new Map([['row2', [`y${SEP}p`]]]));
      expect(await all(store.sentProfiles('e', 'aud', 3))).toEqual(byCodePoint(tricky));
      const holders = await store.rowHolders('e', 'aud', ['row0', 'row1']);
      expect(byCodePoint(holders.get('row0')!)).toEqual(byCodePoint(tricky.filter((_, i) => i % 2 === 0)));
      expect(byCodePoint(holders.get('row1')!)).toEqual(byCodePoint(tricky.filter((_, i) => i % 2 === 1)));
      await store.dropSentExcept('e', 'x', 'none');
      expect(await all(store.sentProfiles('e', `x${SEP}y`, 10))).toEqual(['p']);
    });
  });

  describe('memberships', () => {
    it('segmentProfiles, currentMembers and staleMembers read the segment\'s profiles in code point order, in chunks', async () => {
      await store.saveMemberships(tricky.map((p, i) => member('s1', p, i, { member: i !== 1, refreshId: i % 3 === 0 ? 'r1' : 'r0' })));
      await store.saveMemberships([member(`s1${SEP}x`, 'p-43'), member('s10', 'p-44'), member(`s1${SEP}`, 'p-45')]);
      const profiles = await collect(store.segmentProfiles('s1', 4));
      expect(profiles.items).toEqual(byCodePoint(tricky));
      expect(profiles.chunks.every((n) => n <= 4)).toBe(true);
      expect(await all(store.currentMembers(['s1'], 3))).toEqual(byCodePoint(tricky.filter((_, i) => i !== 1)));
      const stale = await all(store.staleMembers('s1', 'r1', 5, 2));
      expect(byCodePoint(stale.map((m) => m.profileId))).toEqual(byCodePoint(tricky.filter((_, i) => i !== 1 && i % 3 !== 0 && i < 5)));
      for (const m of stale) expect(m).toEqual(member('s1', m.profileId, tricky.indexOf(m.profileId), { refreshId: 'r0' }));
      expect(await store.countMembers(['s1'])).toBe(tricky.length - 1);
      expect(await store.countRecentMembers('s1', 5)).toBe(tricky.length - 5);
      expect(await all(store.segmentProfiles(`s1${SEP}x`, 10))).toEqual(['p-43']);
    });

    it('currentMembers yields each member of several segments once, in code point order', async () => {
      await store.saveMemberships([member('s1', '\uFFFD'), member('s1', '😀'), member('s1', 'b'), member('s1', 'gone', 10, { member: false })]);
      await store.saveMemberships([member('s2', '😀'), member('s2', 'a'), member('s2', 'gone'), member(`s2${SEP}x`, 'z')]);
      const expected = byCodePoint(['\uFFFD', '😀', 'a', 'b', 'gone']);
      for (const chunk of [1, 2, 100]) expect(await all(store.currentMembers(['s1', 's2'], chunk))).toEqual(expected);
      expect(await store.countMembers(['s1', 's2'])).toBe(5);
    });

    it('dropOutBefore yields the out-records older than the time, attributesAt kept, and deletes each chunk only when the next is asked for', async () => {
      await store.saveMemberships([member('s', 'a', 1, { member: false, attributesAt: 1 }), member('s', 'b', 2, { member: false }), member('s', 'c', 3), member('s', 'd', 9, { member: false })]);
      const chunks = store.dropOutBefore('s', 5, 1)[Symbol.asyncIterator]();
      expect((await chunks.next()).value).toEqual([member('s', 'a', 1, { member: false, attributesAt: 1 })]);
      expect([...(await store.memberships('s', ['a'])).keys()]).toEqual(['a']);
      expect((await chunks.next()).value).toEqual([member('s', 'b', 2, { member: false })]);
      expect([...(await store.memberships('s', ['a', 'b'])).keys()]).toEqual(['b']);
      expect((await chunks.next()).done).toBe(true);
      expect([...(await store.memberships('s', ['a', 'b', 'c', 'd'])).keys()]).toEqual(['c', 'd']);
    });

    // \u0001 separates LevelDB's key parts, \u0000 the memory store's.
    it.each([['\u0001'], ['\u0000']])('a profile id holding %j is neither read back as another profile nor found under another segment', async (sep) => {
      await store.saveMemberships([member('s', `x${sep}p-42`), member(`s${sep}x`, 'p-41')]);
      expect(await all(store.segmentProfiles('s', 10))).toEqual([`x${sep}p-42`]);
      expect(await all(store.currentMembers(['s'], 10))).toEqual([`x${sep}p-42`]);
      expect((await all(store.staleMembers('s', 'r', 100, 10))).map((m) => m.profileId)).toEqual([`x${sep}p-42`]);
      expect(await store.memberships('s', ['p-42', `x${sep}p-41`, `x${sep}p-42`])).toEqual(new Map([[`x${sep}p-42`, member('s', `x${sep}p-42`)]]));
      expect(await store.membershipsOfProfiles([`x${sep}p-41`, 'p-41'], ['s', `s${sep}x`])).toEqual([member(`s${sep}x`, 'p-41')]);
    });
  });

  describe('single records', () => {
    it('profiles, refresh times and export states are keyed by the whole id', async () => {
      await store.saveProfiles(tricky.map((profileId, t) => ({ profileId, attributes: { FirstName: `FN=${profileId}` }, t })));
      const read = await store.profiles([...tricky, 'x', `${SEP}p-42`]);
      expect([...read.values()].map((p) => [p.profileId, p.attributes.FirstName, p.t])).toEqual(tricky.map((p, t) => [p, `FN=${p}`, t]));
      await store.saveRefreshedAt(`s${SEP}1`, 5);
      await store.saveRefreshedAt(`s${SEP}1`, 3);
      expect(await store.refreshedAt(`s${SEP}1`)).toBe(5);
      expect(await store.refreshedAt('s')).toBeUndefined();
      expect(await store.latestListing()).toBeUndefined();
      await store.saveLatestListing(7);
      expect(await store.latestListing()).toBe(7);
      const state = { activated: true, fingerprint: 'f', audienceFingerprint: 'a' };
      await store.saveExportState(`e${SEP}1`, state);
      expect(await store.exportState(`e${SEP}1`)).toEqual(state);
      await store.saveExportState(`e${SEP}1`, null);
      expect(await store.exportState(`e${SEP}1`)).toBeUndefined();
    });
  });
});
