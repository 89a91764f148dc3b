import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from '../engine/level-store';
import { CommitListener, EncodedWrite } from '../engine/state-journal';
import { Changelog, recoverState } from './state-recovery';

/**
 * A changelog as a map: what compaction would keep, key for key. Writes wait for `flush`, which
 * commits them, and the end offset moves as Kafka's does: one per record, one per commit marker.
 */
class MapChangelog implements Changelog {
  readonly topic = 'segment-streamer.state-changelog.v1';
  readonly kept = new Map<string, string>();
  private offset = 0;
  /** The offset of each committed record. */
  private readonly log: ({ offset: number } & EncodedWrite)[] = [];
  private pending: EncodedWrite[] = [];
  private batches: number[] = [];
  private listener: CommitListener = async () => undefined;

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  async record(writes: EncodedWrite[], batch?: number): Promise<void> {
    this.pending.push(...writes);
    if (batch !== undefined) this.batches.push(batch);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const [writes, batches] = [this.pending, this.batches];
    [this.pending, this.batches] = [[], []];
    this.commit(writes);
    await this.listener(batches, this.offset);
  }

  /** A commit by another writer (another streamer): the end moves, and this store is not told. */
  foreign(writes: EncodedWrite[]): void {
    this.commit(writes);
  }

  /** What a crash loses: whatever was not flushed; in the middle of a flush, its records stay on the log, aborted. */
  crash(midFlush = false): void {
    if (midFlush) this.offset += this.pending.length + 1;
    [this.pending, this.batches] = [[], []];
  }

  private commit(writes: EncodedWrite[]): void {
    for (const { key, value } of writes) {
      if (value === null) this.kept.delete(key);
      else this.kept.set(key, value);
      this.log.push({ offset: this.offset++, key, value });
    }
    this.offset += 1;
  }

  async committedSince(offset: number): Promise<boolean> {
    const committed = this.log.some((r) => r.offset >= offset && !r.key.startsWith('~'));
    await this.restore(async () => undefined);
    return committed;
  }

  async end(): Promise<number> {
    return this.offset;
  }

  async isEmpty(): Promise<boolean> {
    return this.offset === 0;
  }

  /** How many records each read from an offset (a standby catching up) got. */
  readonly caughtUp: number[] = [];

  /** As the topic's: a marker is written first and tombstoned after, each in a commit of its own; from the start, what compaction keeps, from an offset, the records since. */
  async restore(apply: (writes: EncodedWrite[]) => Promise<void>, _progress?: unknown, from?: number): Promise<number> {
    await this.record([{ key: '~restore-end~1', value: '1' }]);
    await this.flush();
    const records = from === undefined ? [...this.kept].map(([key, value]) => ({ key, value })) : this.log.filter((r) => r.offset >= from).map(({ key, value }) => ({ key, value }));
    const writes = records.filter(({ key }) => !key.startsWith('~'));
    if (from !== undefined) this.caughtUp.push(writes.length);
    await apply(writes);
    await this.record([{ key: '~restore-end~1', value: null }]);
    await this.flush();
    return writes.length;
  }
}

/** Every key and value of a closed store's directory, the row-holder index and local keys too. */
async function dump(directory: string): Promise<Record<string, string>> {
  const db = new ClassicLevel<string, string>(directory, { valueEncoding: 'utf8', createIfMissing: false });
  await db.open();
  try {
    const out: Record<string, string> = {};
    for await (const [key, value] of db.iterator()) if (key !== 'I') out[key] = value;
    return out;
  } finally {
    await db.close();
  }
}

/** The state as the journal carries it: no row-holder index, no local keys (the format, the changelog's end, the unsent batches). */
function journaled(all: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([key]) => key !== 'F' && key !== 'O' && !key.startsWith('h\u0001') && !key.startsWith('U\u0001')));
}

describe('the state journal and its recovery', () => {
  let dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'state-recovery-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  /** Every kind of write the engine makes, deletions by range included. */
  async function exercise(store: LevelStore): Promise<void> {
    await store.saveMemberships([1, 2, 3].map((i) => ({ segmentId: 's1', profileId: `p${i}`, member: i !== 3, t: i })));
    await store.saveMemberships([{ segmentId: 's2', profileId: 'p1', member: true, t: 5, refreshId: 'r1' }]);
    for await (const _ of store.dropOutBefore('s1', 10, 10));
    await store.saveProfiles([1, 2].map((i) => ({ profileId: `p${i}`, attributes: { EMAIL: { digest: `d${i}` } } as never, t: i })));
    await store.dropProfiles(['p2']);
    await store.saveSent('e1', 'a1', [1, 2].map((i) => ({ profileId: `p${i}`, entry: { columns: { EMAIL: `d${i}` }, row: `row${i}` }, previous: undefined })));
    await store.saveSent('e1', 'a1', [{ profileId: 'p1', entry: { columns: { EMAIL: 'd9' }, row: 'row9' }, previous: { columns: { EMAIL: 'd1' }, row: 'row1' } }], 'sync1');
    await store.dropSentExcept('e1', 'a1', 'sync1');
    await store.saveSent('e1', 'a2', [1, 2].map((i) => ({ profileId: `p${i}`, entry: { columns: { EMAIL: 'shared' }, row: 'shared' }, previous: undefined })));
    await store.saveSent('e2', 'a1', [{ profileId: 'p1', entry: { columns: { EMAIL: 'd1' }, row: 'row1' }, previous: undefined }]);
    await store.dropSent('e2');
    await store.stagePart({ refreshId: 'r1', segmentId: 's1', part: 1, final: false, t: 1, members: [] });
    await store.stagePart({ refreshId: 'r2', segmentId: 's1', part: 1, final: true, t: 2, members: [] });
    await store.dropStaged('r1');
    await store.saveRefreshedAt('s1', 7);
    await store.saveExportState('e1', { activated: true, fingerprint: 'f', audienceFingerprint: 'a' });
    await store.saveExportState('e2', { activated: true, fingerprint: 'f', audienceFingerprint: 'a' });
    await store.saveExportState('e2', null);
  }

  it('journals every write, so the changelog alone rebuilds the same state, row-holder index included, on an empty disk', async () => {
    const changelog = new MapChangelog();
    const first = dir();
    const store = new LevelStore(first, changelog);
    await store.open();
    await recoverState(store, changelog, () => undefined);
    await exercise(store);
    await changelog.flush();
    await store.close();
    const before = await dump(first);
    expect(Object.keys(before).filter((key) => key.startsWith('h\u0001')).length).toBe(3);
    expect(Object.keys(before).length).toBeGreaterThan(10);
    expect(Object.fromEntries(changelog.kept)).toEqual(journaled(before));

    const second = dir();
    const fresh = new LevelStore(second, changelog);
    await fresh.open();
    expect(await recoverState(fresh, changelog, () => undefined)).toBe('restored');
    await fresh.close();
    expect(journaled(await dump(second))).toEqual(journaled(before));
    expect(Object.keys(await dump(second)).filter((key) => key.startsWith('h\u0001'))).toEqual(Object.keys(before).filter((key) => key.startsWith('h\u0001')));
  });

  it('brings a standby\'s copy up to the changelog by reading only what came since its offset, and restores a copy whose offset is past the end', async () => {
    const changelog = new MapChangelog();
    const active = new LevelStore(dir(), changelog);
    await active.open();
    await recoverState(active, changelog, () => undefined);
    await active.saveMemberships([1, 2, 3].map((i) => ({ segmentId: 's1', profileId: `p${i}`, member: true, t: i })));
    await active.saveSent('e1', 'a1', [1, 2].map((i) => ({ profileId: `p${i}`, entry: { columns: { EMAIL: `d${i}` }, row: `row${i}` }, previous: undefined })));
    await changelog.flush();
    // The standby followed the changelog this far: its copy and the offset to go on from.
    const copyDir = dir();
    // Without the journal: the map changelog tells one store of commits, and a standby writes nothing to it.
    const copy = new LevelStore(copyDir);
    await copy.open();
    await copy.restore([...changelog.kept].map(([key, value]) => ({ key, value })), await changelog.end());
    await copy.setMarker({ state: 'standby', at: Date.now() });
    await copy.close();
    // The active instance goes on (a deletion too), then dies.
    await active.saveSent('e1', 'a1', [{ profileId: 'p1', entry: null, previous: { columns: { EMAIL: 'd1' }, row: 'row1' } }, { profileId: 'p3', entry: { columns: { EMAIL: 'd3' }, row: 'row3' }, previous: undefined }]);
    await active.dropProfiles(['p2']);
    await changelog.flush();
    await active.close();

    const standby = new LevelStore(copyDir, changelog);
    await standby.open();
    expect(await recoverState(standby, changelog, () => undefined)).toBe('followed');
    // The audience's key, the two sent entries and the profile's deletion: not the whole changelog.
    expect(changelog.caughtUp).toEqual([4]);
    expect(await standby.rowHolders('e1', 'a1', ['row1', 'row2', 'row3'])).toEqual(new Map([['row2', ['p2']], ['row3', ['p3']]]));
    await standby.close();
    expect(journaled(await dump(copyDir))).toEqual(Object.fromEntries(changelog.kept));

    // A copy nothing followed for longer than compaction keeps deletions is not trusted either.
    const old = new LevelStore(dir(), changelog);
    await old.open();
    await old.restore([{ key: 'R\u0001old', value: '1' }], 0);
    await old.setMarker({ state: 'standby', at: Date.now() - 13 * 60 * 60 * 1000 });
    expect(await recoverState(old, changelog, () => undefined)).toBe('restored');
    expect(await old.refreshedAt('old')).toBeUndefined();
    await old.close();

    // A copy whose offset is past the changelog's end (the topic was made again) is not one of it.
    const stale = new LevelStore(dir(), changelog);
    await stale.open();
    await stale.restore([{ key: 'R\u0001gone', value: '1' }], (await changelog.end()) + 100);
    await stale.setMarker({ state: 'standby', at: Date.now() });
    expect(await recoverState(stale, changelog, () => undefined)).toBe('restored');
    expect(await stale.refreshedAt('gone')).toBeUndefined();
    await stale.close();
  });

  it('keeps the row-holder index right when one restored batch holds several versions of a sent entry', async () => {
    const changelog = new MapChangelog();
    const directory = dir();
    const store = new LevelStore(directory, changelog);
    await store.open();
    await recoverState(store, changelog, () => undefined);
    const entry = (row: string) => JSON.stringify({ c: { EMAIL: row }, r: row });
    const key = 's\u0001e1\u0001a1\u0001p1';
    await store.restore([{ key, value: entry('row1') }, { key, value: entry('row2') }, { key: 's\u0001e1\u0001a1\u0001p2', value: entry('row2') }]);
    await store.restore([{ key, value: entry('row3') }, { key, value: null }, { key, value: entry('row4') }]);
    expect(await store.rowHolders('e1', 'a1', ['row1', 'row2', 'row3', 'row4'])).toEqual(new Map([['row2', ['p2']], ['row4', ['p1']]]));
    await store.close();
  });

  it('keeps the disk after a clean stop, sends what a crash left unsent and keeps it, restores when another writer moved the changelog', async () => {
    const changelog = new MapChangelog();
    const directory = dir();
    const reopen = async () => {
      const store = new LevelStore(directory, changelog);
      await store.open();
      return store;
    };
    let store = await reopen();
    await recoverState(store, changelog, () => undefined);
    await exercise(store);
    await changelog.flush();
    await store.setMarker({ state: 'clean' });
    await store.close();

    store = await reopen();
    expect(await recoverState(store, changelog, () => undefined)).toBe('kept');
    // A crash after writes reached the disk but before their flush: a put and a deletion the changelog never got.
    await store.saveRefreshedAt('s9', 1);
    await store.dropProfiles(['p1']);
    changelog.crash();
    await store.close();
    expect(changelog.kept.has('R\u0001s9')).toBe(false);
    expect(changelog.kept.has('p\u0001p1')).toBe(true);

    store = await reopen();
    expect(await recoverState(store, changelog, () => undefined)).toBe('caught-up');
    expect(await store.refreshedAt('s9')).toBe(1);
    await store.close();
    expect(Object.fromEntries(changelog.kept)).toEqual(journaled(await dump(directory)));
    expect(Object.keys(await dump(directory)).filter((key) => key.startsWith('U\u0001'))).toEqual([]);

    // A crash in the middle of a flush: only its own aborted transaction follows what the disk saw.
    store = await reopen();
    expect(await recoverState(store, changelog, () => undefined)).toBe('caught-up');
    await store.saveRefreshedAt('s8', 1);
    changelog.crash(true);
    await store.close();
    store = await reopen();
    expect(await recoverState(store, changelog, () => undefined)).toBe('caught-up');
    await store.close();
    expect(changelog.kept.get('R\u0001s8')).toBe('1');
    expect(Object.fromEntries(changelog.kept)).toEqual(journaled(await dump(directory)));

    // Another streamer wrote to the changelog since this disk last saw it, after a crash and after a clean stop alike: the disk is not kept.
    for (const state of ['running', 'clean'] as const) {
      store = await reopen();
      await store.setMarker({ state });
      await store.saveRefreshedAt('s7', 1);
      await changelog.flush();
      await store.close();
      changelog.foreign([{ key: 'R\u0001s7', value: '2' }]);
      store = await reopen();
      expect(await recoverState(store, changelog, () => undefined)).toBe('restored');
      expect(await store.refreshedAt('s7')).toBe(2);
      expect(await store.refreshedAt('s9')).toBe(1);
      await store.close();
    }

    // The topic was deleted and made again: the disk, stopped cleanly or not, is copied to it, never emptied.
    for (const state of ['clean', 'running'] as const) {
      const recreated = new MapChangelog();
      store = new LevelStore(directory, recreated);
      await store.open();
      await store.setMarker({ state });
      expect(await recoverState(store, recreated, () => undefined)).toBe('seeded');
      expect(await store.refreshedAt('s1')).toBe(7);
      await store.close();
      expect(Object.fromEntries(recreated.kept)).toEqual(journaled(await dump(directory)));
    }
  });

  it('copies state from before the changelog to an empty topic, and refuses a topic that holds another state', async () => {
    const directory = dir();
    let store = new LevelStore(directory);
    await store.open();
    await exercise(store);
    await store.close();

    const used = new MapChangelog();
    used.foreign([{ key: 'm\u0001other\u0001p1', value: '{"m":true,"t":1}' }]);
    store = new LevelStore(directory, used);
    await store.open();
    await expect(recoverState(store, used, () => undefined)).rejects.toThrow(/STREAMER_STATE_TOPIC at an empty topic.*or empty STREAMER_STATE_DIR/);
    await store.close();

    const empty = new MapChangelog();
    store = new LevelStore(directory, empty);
    await store.open();
    expect(await recoverState(store, empty, () => undefined)).toBe('seeded');
    await store.close();
    expect(Object.fromEntries(empty.kept)).toEqual(journaled(await dump(directory)));
    store = new LevelStore(directory, empty);
    await store.open();
    // Cut short while seeding: the next start seeds again rather than refusing its own half copy.
    await store.setMarker({ state: 'seeding' });
    expect(await recoverState(store, empty, () => undefined)).toBe('seeded');
    await store.close();
  });
});
