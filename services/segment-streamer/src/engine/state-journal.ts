/** A store write as it goes to disk and to the changelog: the key and the encoded value (null deletes). */
export interface EncodedWrite {
  key: string;
  value: string | null;
}

/** Called after each commit with the numbers of the store batches it held and the topic's end offset after it. */
export type CommitListener = (batches: number[], end: number) => Promise<void>;

/** Where the store records each write besides its disk (the changelog topic), so the state survives the disk. */
export interface StateJournal {
  /**
   * Awaited: when enough is pending the journal sends it, which bounds memory in a long run.
   * `batch`: the store's number for these writes, handed back to the commit listener once they are on the topic.
   */
  record(writes: EncodedWrite[], batch?: number): Promise<void>;
  onCommit(listener: CommitListener): void;
}

/**
 * How the last run left the disk, kept under a local key. `running`: it did not stop cleanly, so
 * the disk may hold writes the changelog lacks (their keys are kept on disk until a commit holds
 * them). `seeding`: the disk is being copied to the changelog. `clean`: stopped after its last
 * writes reached the changelog. `standby`: a standby's copy of the changelog up to the offset kept
 * beside it, `at` (ms) when it last read there.
 */
export interface StoreMarker {
  state: 'running' | 'seeding' | 'clean' | 'standby';
  at?: number;
}
