import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from '../engine/level-store';
import { StoreMarker } from '../engine/state-journal';
import { StateChangelog } from './state-changelog';
import { followState, STANDBY_COPY_LIFETIME_MS } from './state-follower';

describe('a standby following the changelog', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'state-follower-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  /** Where following starts on a disk left so, the changelog ending at 40; and whether the disk still holds its state. */
  async function startsFrom(marker: StoreMarker | undefined, seen: number | undefined): Promise<{ from: number | undefined; kept: boolean }> {
    const store = new LevelStore(directory);
    await store.open();
    await store.restore([{ key: 'R\u0001s1', value: '7' }], seen);
    if (marker) await store.setMarker(marker);
    let from: number | undefined = -1;
    const changelog = { topic: 't', end: async () => 40, follow: async (start: number | undefined) => ((from = start), { stop: async () => undefined }) } as unknown as StateChangelog;
    const following = await followState(store, changelog);
    await following.stop();
    const kept = (await store.refreshedAt('s1')) === 7;
    expect(await store.marker()).toEqual({ state: 'standby', at: expect.any(Number) });
    await store.close();
    return { from, kept };
  }

  it('goes on from its own recent copy, or from a clean stop\'s disk when nothing was written since', async () => {
    expect(await startsFrom({ state: 'standby', at: Date.now() - 60_000 }, 30)).toEqual({ from: 30, kept: true });
    expect(await startsFrom({ state: 'clean' }, 40)).toEqual({ from: 40, kept: true });
  });

  it('says how far behind the changelog the copy is, as it reads on, and 0 once it stops', async () => {
    const store = new LevelStore(directory);
    await store.open();
    let apply!: (writes: never[], next: number) => Promise<void>;
    let end = 40;
    const changelog = { topic: 't', end: async () => end, follow: async (_: unknown, a: typeof apply) => ((apply = a), { stop: async () => undefined }) } as unknown as StateChangelog;
    const behind: number[] = [];
    const following = await followState(store, changelog, { lag: (n) => behind.push(n), lagEveryMs: 5 });
    expect(behind).toEqual([39]);
    await apply([], 35);
    end = 45;
    await new Promise((r) => setTimeout(r, 30));
    expect(behind[behind.length - 1]).toBe(9);
    await apply([], 44);
    await new Promise((r) => setTimeout(r, 30));
    // All read but the commit marker that ends the topic.
    expect(behind[behind.length - 1]).toBe(0);
    await following.stop();
    expect(behind[behind.length - 1]).toBe(0);
    expect(await store.changelogEnd()).toBe(44);
    await store.close();
  });

  it('copies from the start onto an emptied disk otherwise: a copy too old, a clean disk others wrote after, a crashed one, an offset past the end, none', async () => {
    expect(await startsFrom({ state: 'standby', at: Date.now() - STANDBY_COPY_LIFETIME_MS - 1 }, 30)).toEqual({ from: undefined, kept: false });
    expect(await startsFrom({ state: 'clean' }, 30)).toEqual({ from: undefined, kept: false });
    expect(await startsFrom({ state: 'running' }, 40)).toEqual({ from: undefined, kept: false });
    expect(await startsFrom({ state: 'standby', at: Date.now() }, 41)).toEqual({ from: undefined, kept: false });
    expect(await startsFrom(undefined, undefined)).toEqual({ from: undefined, kept: false });
  });
});
