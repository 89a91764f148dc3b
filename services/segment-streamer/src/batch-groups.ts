interface Waiting<T> {
  items: T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Events a group takes before later batches wait for the next call (one batch alone may hold more):
 * a bound on how much one engine call works on, whatever the number of partitions.
 */
const GROUP_ITEMS = 5000;

/**
 * Hands the engine, in one call, every batch that arrived while it was busy with the last: the
 * partitions' batches come side by side, a few events each when traffic is live, and each call
 * costs the changelog a transaction or two whatever its size (at 200 events/s over 6 partitions,
 * most of the streamer's time). A batch is settled once the commit holding its writes is through.
 * A call that fails runs its batches again one at a time, so a batch that cannot pass fails alone
 * and the others' partitions go on.
 */
export class BatchGroups<T> {
  private waiting: Waiting<T>[] = [];
  private draining = false;

  /**
   * `run`: the engine's call. `commit`: the commit of what the calls wrote so far; `more` says
   * batches wait, whose call will commit soon (it may then wait for that commit instead of starting one).
   */
  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly commit: (more: boolean) => Promise<void>,
    private readonly groupItems = GROUP_ITEMS,
  ) {}

  submit(items: T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.take();
        if (!(await this.attempt(group)) && group.length > 1) for (const one of group) await this.attempt([one]);
      }
    } finally {
      this.draining = false;
    }
  }

  /** The oldest waiting batches up to the group's size, at least one. */
  private take(): Waiting<T>[] {
    let n = 0;
    let items = 0;
    while (n < this.waiting.length && (n === 0 || items + this.waiting[n].items.length <= this.groupItems)) items += this.waiting[n++].items.length;
    return this.waiting.splice(0, n);
  }

  /** Runs a group; whether it passed. A lone batch that fails is refused; a larger group is left to the caller to split. */
  private async attempt(group: Waiting<T>[]): Promise<boolean> {
    try {
      await this.run(group.length === 1 ? group[0].items : group.flatMap((g) => g.items));
    } catch (error) {
      // What this call and the groups before it (left to this one's commit) wrote is committed, so none waits for ever.
      await this.commit(false).catch(() => undefined);
      if (group.length === 1) group[0].reject(error);
      return false;
    }
    this.commit(this.waiting.length > 0).then(
      () => group.forEach((g) => g.resolve()),
      (error: unknown) => group.forEach((g) => g.reject(error)),
    );
    return true;
  }
}
