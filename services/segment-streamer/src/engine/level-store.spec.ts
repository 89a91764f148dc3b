import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from 'node:crypto';
import { facebookRows, identityOf } from '@audience-sync/identifiers';
import { LevelStore } from './level-store';
import { k } from './level-keys';

const S = '\u0001';

describe('LevelStore upgrade from format 1 (sent rows stored as their digests)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'level-upgrade-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites sent rows and their holders as identities, so a reconcile sees nothing changed', async () => {
    const identifiers = { EMAIL: 'mary@example.com', PHONE: '+1 (650) 555-1212' };
    const digests = facebookRows(['EMAIL', 'PHONE'], [{ op: 'add', identifiers }]).adds[0].join('|');
    const old = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    await old.batch([
      { type: 'put', key: ['s', 'e1', '123', 'p1'].join(S), value: { i: identifiers, r: digests } },
      { type: 'put', key: ['h', 'e1', '123', digests, 'p1'].join(S), value: 1 },
      { type: 'put', key: ['a', 'e1', '123'].join(S), value: 1 },
      { type: 'put', key: ['e', 'e1'].join(S), value: { activated: true, fingerprint: 'f', audienceFingerprint: 'a' } },
    ]);
    await old.close();

    // Format 4 keeps the digests it sent (in base64url) and knows the row by them.
    const columns = { EMAIL: hash('sha256', 'mary@example.com', 'base64url'), PHONE: hash('sha256', '16505551212', 'base64url') };
    const identity = identityOf(columns);
    for (let open = 0; open < 3; open += 1) {
      if (open === 2) {
        // As if the upgrade had stopped before its last batch: the rows it converted stay converted.
        const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
        await db.del('F');
        await db.close();
      }
      const store = new LevelStore(dir);
      await store.open();
      expect((await store.sent('e1', '123', ['p1'])).get('p1')).toEqual({ columns, row: identity });
      expect(await store.rowHolders('e1', '123', [identity])).toEqual(new Map([[identity, ['p1']]]));
      expect((await store.rowHolders('e1', '123', [digests])).size).toBe(0);
      await store.close();
    }
  });
});

describe('LevelStore upgrade from format 2 (ids joined as they were)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'level-upgrade-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const raw = (...parts: string[]) => parts.join(S);
  const active = { activated: true, fingerprint: 'f', audienceFingerprint: 'a' };
  const part = (refreshId: string, n: number, final: boolean, segmentId: string, t: number) => [
    { type: 'put' as const, key: raw('x', refreshId, String(n).padStart(8, '0')), value: { refreshId, segmentId, part: n, final, t, members: [{ profileId: `p${n}`, attributes: null }] } },
    { type: 'put' as const, key: raw('y', refreshId, String(n).padStart(8, '0')), value: { part: n, final, members: 1 } },
  ];

  /** What a format-2 streamer left: ids with the separator and other low characters, and what its range deletes missed. */
  async function writeFormat2() {
    const old = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    await old.batch([
      { type: 'put', key: 'F', value: 2 },
      { type: 'put', key: raw('m', 's', 'x', 'p-42'), value: { m: true, t: 5 } },
      { type: 'put', key: raw('m', 's', 'p-41'), value: { m: true, t: 6 } },
      { type: 'put', key: raw('m', 's', 'a\u0000b'), value: { m: true, t: 7 } },
      { type: 'put', key: raw('m', 's', 'a\u0002b'), value: { m: false, t: 8 } },
      { type: 'put', key: raw('m', 'seg', 'one', 'p-43'), value: { m: true, t: 9 } },
      { type: 'put', key: raw('R', 'seg', 'one'), value: 1 },
      { type: 'put', key: raw('p', 'x', 'p-42'), value: { a: { FirstName: 'Kari' }, t: 5 } },
      // e1 is live; its segment audience 'aud\u0001x' holds the separator too.
      { type: 'put', key: raw('e', 'e1'), value: active },
      { type: 'put', key: raw('a', 'e1', 'aud', 'x'), value: 1 },
      { type: 'put', key: raw('a', 'e1', 'aud'), value: 1 },
      { type: 'put', key: raw('s', 'e1', 'aud', 'x', 'p1'), value: { i: { EMAIL: 'a@example.com' }, r: 'AAAAAAAAAAAAAAAAAAAAAA' } },
      { type: 'put', key: raw('h', 'e1', 'aud', 'x', 'AAAAAAAAAAAAAAAAAAAAAA', 'p1'), value: 1 },
      { type: 'put', key: raw('s', 'e1', 'aud', 'y', 'p2'), value: { i: { EMAIL: 'b@example.com' }, r: 'BBBBBBBBBBBBBBBBBBBBBB' } },
      { type: 'put', key: raw('h', 'e1', 'aud', 'BBBBBBBBBBBBBBBBBBBBBB', 'y', 'p2'), value: 1 },
      // e2 was deleted and e3 moved to another audience: their sent state should have gone.
      { type: 'put', key: raw('a', 'e2', 'aud'), value: 1 },
      { type: 'put', key: raw('s', 'e2', 'aud', 'p1'), value: { i: {}, r: 'CCCCCCCCCCCCCCCCCCCCCC' } },
      { type: 'put', key: raw('h', 'e2', 'aud', 'CCCCCCCCCCCCCCCCCCCCCC', 'p1'), value: 1 },
      { type: 'put', key: raw('e', 'e3'), value: { ...active, activated: false } },
      { type: 'put', key: raw('a', 'e3', 'old-aud'), value: 1 },
      { type: 'put', key: raw('s', 'e3', 'old-aud', 'p1'), value: { i: {}, r: 'DDDDDDDDDDDDDDDDDDDDDD' } },
      // Segment s was last refreshed at 200: r-100 is done with; r-200 may still be finishing; r-300 is under way.
      { type: 'put', key: raw('R', 's'), value: 200 },
      ...part('r-100', 1, false, 's', 100),
      ...part('r-100', 2, true, 's', 100),
      ...part('r-200', 1, true, 's', 200),
      ...part(raw('r', '300'), 1, false, 's', 300),
      // Part numbers without their part (a sibling of r-100's).
      part('r-150', 1, true, 's', 150)[1],
    ]);
    await old.close();
  }

  // Rows the format-2 state knew by placeholder identities, known after the upgrade by their digests.
  const rowA = identityOf({ EMAIL: hash('sha256', 'a@example.com', 'base64url') });
  const rowB = identityOf({ EMAIL: hash('sha256', 'b@example.com', 'base64url') });

  it('reads every id back whole, keeps what is live and drops what the old range deletes missed', async () => {
    await writeFormat2();
    for (let open = 0; open < 2; open += 1) {
      const store = new LevelStore(dir);
      await store.open();
      const profiles: string[] = [];
      for await (const ids of store.segmentProfiles('s', 10)) profiles.push(...ids);
      expect(profiles).toEqual(['a\u0000b', 'a\u0002b', 'p-41', `x${S}p-42`]);
      expect([...(await store.memberships('s', [`x${S}p-42`, 'p-42'])).keys()]).toEqual([`x${S}p-42`]);
      expect([...(await store.memberships(`seg${S}one`, ['p-43'])).values()]).toEqual([{ segmentId: `seg${S}one`, profileId: 'p-43', member: true, t: 9 }]);
      // Format 4 keeps the attribute's name, not its value.
      expect((await store.profiles([`x${S}p-42`])).get(`x${S}p-42`)?.attributes).toEqual({ FirstName: '' });

      expect((await store.sentAudiences('e1')).sort()).toEqual(['aud', `aud${S}x`]);
      expect((await store.sent('e1', `aud${S}x`, ['p1'])).get('p1')?.row).toBe(rowA);
      expect(await store.rowHolders('e1', `aud${S}x`, [rowA])).toEqual(new Map([[rowA, ['p1']]]));
      expect((await store.sent('e1', 'aud', [`y${S}p2`])).get(`y${S}p2`)?.row).toBe(rowB);
      expect(await store.rowHolders('e1', 'aud', [rowB])).toEqual(new Map([[rowB, [`y${S}p2`]]]));
      expect(await store.sentAudiences('e2')).toEqual([]);
      expect(await store.rowHolders('e2', 'aud', ['CCCCCCCCCCCCCCCCCCCCCC'])).toEqual(new Map());
      expect(await store.sentAudiences('e3')).toEqual([]);

      expect(await store.stagedParts('r-100')).toEqual([]);
      expect(await store.stagedParts('r-150')).toEqual([]);
      expect(await store.stagedParts('r-200')).toEqual([{ part: 1, final: true, members: 1 }]);
      expect(await store.stagedParts(`r${S}300`)).toEqual([{ part: 1, final: false, members: 1 }]);
      await store.close();
    }
    const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    const keys = await db.keys().all();
    await db.close();
    expect(keys.filter((key) => /^[shaxy]/.test(key) && /e2|e3|r-100|r-150/.test(key))).toEqual([]);
  });

  it('keeps no plain value: sent identifiers become their digests, attributes their names', async () => {
    await writeFormat2();
    const old = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    await old.put(raw('x', 'r-300', '00000002'), { refreshId: 'r-300', segmentId: 's', part: 2, final: false, t: 300, members: [{ profileId: 'p9', attributes: { Email: 'kari@example.com', Phone: null } }] });
    await old.close();
    const store = new LevelStore(dir);
    await store.open();
    expect((await store.sent('e1', `aud${S}x`, ['p1'])).get('p1')?.columns).toEqual({ EMAIL: hash('sha256', 'a@example.com', 'base64url') });
    const staged: unknown[] = [];
    for await (const part of store.stagedMembers('r-300')) staged.push(...part.members);
    expect(staged).toEqual([{ profileId: 'p9', attributes: { Email: '', Phone: null } }]);
    await store.close();
    const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    const values = JSON.stringify(await db.values().all());
    await db.close();
    expect(values).not.toMatch(/@example\.com|Kari/);
  });

  it('refuses a state directory written by a newer version, saying what to do', async () => {
    const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    await db.put('F', 99);
    await db.close();
    const store = new LevelStore(dir);
    await expect(store.open()).rejects.toThrow(/format 99, newer than this version's .*STREAMER_STATE_DIR and a new STREAMER_STATE_TOPIC/);
    await store.close();
  });
});

describe('LevelStore staged refreshes', () => {
  it('lists those staged by an earlier version, whose part entries did not say their segment, time or arrival', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'level-staged-'));
    try {
      const store = new LevelStore(dir);
      await store.open();
      await store.stagePart({ refreshId: 'r-old', segmentId: 's', part: 1, final: false, t: 42, members: [{ profileId: 'p1', attributes: {} }] });
      await store.close();
      const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
      for (const [key, value] of await db.iterator({ gte: k('y'), lt: `${k('y')}\uffff` }).all()) {
        const { part, final, members } = JSON.parse(value) as Record<string, unknown>;
        await db.put(key, JSON.stringify({ part, final, members }));
      }
      await db.close();
      const reopened = new LevelStore(dir);
      await reopened.open();
      // Without its arrival time too: dropAbandonedRefreshes goes by its event time.
      expect(await reopened.stagedRefreshes('s')).toEqual([{ refreshId: 'r-old', segmentId: 's', t: 42, slices: [{ part: 1 }] }]);
      expect(await reopened.stagedRefreshes()).toEqual(await reopened.stagedRefreshes('s'));
      expect(await reopened.stagedRefreshes('other')).toEqual([]);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
