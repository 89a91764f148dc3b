/** A store write as it goes to disk and to the changelog: the key and the encoded value (null deletes). */
export interface EncodedWrite {
  key: string;
  value: string | null;
}

/** Where the store records each write besides its disk (the changelog topic), so the state survives the disk. */
export interface StateJournal {
  /** Awaited: when enough is pending the journal sends it, which bounds memory in a long run. */
  record(writes: EncodedWrite[]): Promise<void>;
}

/**
 * How the last run left the disk, kept under a local key. `running`: it did not stop cleanly, so
 * the disk may hold writes the changelog lacks (offsets were not committed past them, but a replay
 * need not write them again) and is restored from the changelog instead. `seeding`: the disk is
 * being copied to the changelog. `clean`: stopped after its last writes reached the changelog.
 */
export interface StoreMarker {
  state: 'running' | 'seeding' | 'clean';
}
