import { BatchGroups } from './batch-groups';

/** A promise with its settlers, for steering the runner from the test. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((r) => setImmediate(r));
  return state;
};

/** Runner and commits recorded; the first call waits for `first`, and a call holding `failing` fails. */
function recorded(failing?: number, groupItems?: number) {
  const calls: number[][] = [];
  const commits: boolean[] = [];
  const first = deferred();
  const groups = new BatchGroups<number>(
    async (items) => {
      calls.push(items);
      if (calls.length === 1) await first.promise;
      if (failing !== undefined && items.includes(failing)) throw new Error('bad batch');
    },
    async (more) => {
      commits.push(more);
    },
    groupItems,
  );
  return { calls, commits, first, groups };
}

describe('BatchGroups: batches that arrive while the engine is busy go through it together', () => {
  it('runs the batches queued behind a running one as one call, and commits once for them', async () => {
    const { calls, commits, first, groups } = recorded();
    const a = groups.submit([1, 2]);
    const b = groups.submit([3]);
    const c = groups.submit([4, 5]);
    first.resolve();
    await Promise.all([a, b, c]);
    expect(calls).toEqual([[1, 2], [3, 4, 5]]);
    // The first group leaves its commit to the next (more waited), the last commits itself.
    expect(commits).toEqual([true, false]);
  });

  it('resolves a batch only once the commit that holds it is through, and refuses it with a refused commit', async () => {
    const commit = deferred();
    const groups = new BatchGroups<number>(async () => undefined, () => commit.promise);
    const a = groups.submit([1]);
    expect(await settled(a)).toBe('pending');
    commit.reject(new Error('fenced'));
    await expect(a).rejects.toThrow('fenced');
  });

  it('does not let one failing batch hold back the others that shared its group: each runs alone, and only it fails', async () => {
    const { calls, commits, first, groups } = recorded(13);
    const a = groups.submit([1]);
    const b = groups.submit([2]);
    const c = groups.submit([13]);
    const d = groups.submit([4]);
    first.resolve();
    await expect(a).resolves.toBeUndefined();
    await expect(b).resolves.toBeUndefined();
    await expect(c).rejects.toThrow('bad batch');
    await expect(d).resolves.toBeUndefined();
    expect(calls).toEqual([[1], [2, 13, 4], [2], [13], [4]]);
    // A failed call commits too (false), what it wrote and what earlier groups left to it.
    expect(commits).toEqual([true, false, false, false, false]);
  });

  it('commits after a failed call, so a batch that left its commit to that call is not left waiting', async () => {
    // Like the changelog: a commit asked with batches waiting is the next one begun.
    const waitingForNext: (() => void)[] = [];
    const first = deferred();
    const groups = new BatchGroups<number>(
      async (items) => {
        if (items.includes(1)) await first.promise;
        if (items.includes(13)) throw new Error('bad batch');
      },
      (more) => {
        const next = new Promise<void>((resolve) => waitingForNext.push(resolve));
        if (!more) waitingForNext.splice(0).forEach((resolve) => resolve());
        return next;
      },
    );
    const a = groups.submit([1]);
    const b = groups.submit([13]);
    first.resolve();
    await expect(b).rejects.toThrow('bad batch');
    await expect(a).resolves.toBeUndefined();
  }, 5000);

  it('takes no more batches into a group than its event limit allows, but always one', async () => {
    const { calls, first, groups } = recorded(undefined, 3);
    const all = [groups.submit([0]), groups.submit([1, 2]), groups.submit([3]), groups.submit([4, 5, 6, 7]), groups.submit([8])];
    first.resolve();
    await Promise.all(all);
    expect(calls).toEqual([[0], [1, 2, 3], [4, 5, 6, 7], [8]]);
  });
});
