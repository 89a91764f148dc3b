import { ClassicLevel } from 'classic-level';
import { below, FORMAT, idsOf, k, lastPart, S } from './level-keys';
import { upgradeState } from './level-store-upgrade';
import { compareIds, ExportState, Membership, PartInfo, ProfileState, SentEntry, SentUpdate, StagedPart, StagedRefresh, StateStore } from './state-store';
import { EncodedWrite, StateJournal, StoreMarker } from './state-journal';

type MembershipValue = { m: boolean; t: number; r?: string; a?: number };
type SentValue = { c: Record<string, string>; r: string; g?: string };
type StagedInfo = PartInfo & { segmentId?: string; t?: number; arrival?: number; at?: number };
const ARRIVALS = k('Q');
type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/** Keys outside the state, never journaled: the format (F), how the last run ended (I), the changelog's end after the last commit this disk saw (O). */
const LOCAL_KEYS = new Set(['F', 'I', 'O']);
const SENT = k('s') + S;
const HOLDER = k('h') + S;
/** U|n: the keys store batch n wrote, kept until a changelog commit holds them; after a crash, what the changelog may lack. */
const UNSENT = k('U');
const isLocal = (key: string) => LOCAL_KEYS.has(key) || key.startsWith(UNSENT + S);
/** Joins a batch's keys: escaped ids never hold it (level-keys.ts). */
const KEY_LIST = '\u0000';

/**
 * The streamer's state on local disk in LevelDB: ordered keys (level-keys.ts) make a segment's
 * members, an audience's sent entries and a row's holders range scans, and writes go in atomic
 * batches. Every write is also handed to the journal (the changelog topic), encoded once for both.
 */
export class LevelStore implements StateStore {
  private readonly db: ClassicLevel<string, unknown>;
  private nextBatch = 1;

  constructor(
    private readonly directory: string,
    private readonly journal?: StateJournal,
  ) {
    // A 32 MB write buffer (LevelDB's default is 4 MB) means fewer, larger flushes: about a fifth
    // less CPU for a refresh. Fewer open tables bound the memory-mapped table files counted in RSS.
    // Values are JSON text the store encodes (once, for disk and changelog) and parses itself: an
    // encoding named per write costs abstract-level a lookup per operation (twice the batch's CPU).
    this.db = new ClassicLevel<string, unknown>(directory, { valueEncoding: 'utf8', writeBufferSize: 32 * 1024 * 1024, maxOpenFiles: 50 });
    journal?.onCommit((batches, end) => this.committed(batches, end));
  }

  async open(): Promise<void> {
    await this.db.open();
    await upgradeState(this.db, this.directory);
    for await (const key of this.db.keys(below(UNSENT))) this.nextBatch = Math.max(this.nextBatch, Number(lastPart(key)) + 1);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async memberships(segmentId: string, profileIds: string[]) {
    const values = decodeAll<MembershipValue>(await this.db.getMany(profileIds.map((p) => k('m', segmentId, p))));
    const out = new Map<string, Membership>();
    values.forEach((v, i) => v && out.set(profileIds[i], toMembership(segmentId, profileIds[i], v)));
    return out;
  }

  async membershipsOfProfiles(profileIds: string[], segmentIds: string[]) {
    const out: Membership[] = [];
    for (const s of segmentIds) out.push(...(await this.memberships(s, profileIds)).values());
    return out;
  }

  async saveMemberships(items: Membership[]) {
    if (items.length === 0) return;
    await this.write(items.map((m) => ({ type: 'put' as const, key: k('m', m.segmentId, m.profileId), value: { m: m.member, t: m.t, ...(m.refreshId ? { r: m.refreshId } : {}), ...(m.attributesAt !== undefined ? { a: m.attributesAt } : {}) } })));
  }

  async *staleMembers(segmentId: string, refreshId: string, before: number, chunk: number) {
    for await (const entries of this.scan<MembershipValue>(k('m', segmentId), chunk)) {
      const stale = entries.filter(([, v]) => v.m && v.r !== refreshId && v.t < before).map(([key, v]) => toMembership(segmentId, lastPart(key), v));
      if (stale.length > 0) yield stale;
    }
  }

  segmentProfiles(segmentId: string, chunk: number) {
    return this.keys(k('m', segmentId), chunk);
  }

  /** A k-way merge of the segments' members in key order (compareIds), so a profile in two segments comes once. */
  async *currentMembers(segmentIds: string[], chunk: number) {
    if (segmentIds.length === 1) {
      for await (const entries of this.scan<MembershipValue>(k('m', segmentIds[0]), chunk)) {
        const ids = entries.filter(([, v]) => v.m).map(([key]) => lastPart(key));
        if (ids.length > 0) yield ids;
      }
      return;
    }
    const sources = segmentIds.map((s) => this.scan<MembershipValue>(k('m', s), chunk)[Symbol.asyncIterator]());
    const buffers: string[][] = [];
    const refill = async (i: number) => {
      for (;;) {
        const next = await sources[i].next();
        if (next.done) return (buffers[i] = []);
        const ids = next.value.filter(([, v]) => v.m).map(([key]) => lastPart(key));
        if (ids.length > 0) return (buffers[i] = ids);
      }
    };
    await Promise.all(sources.map((_, i) => refill(i)));
    const positions = sources.map(() => 0);
    let out: string[] = [];
    for (;;) {
      let min: string | undefined;
      for (let i = 0; i < buffers.length; i += 1) {
        const head = buffers[i][positions[i]];
        if (head !== undefined && (min === undefined || compareIds(head, min) < 0)) min = head;
      }
      if (min === undefined) break;
      for (let i = 0; i < buffers.length; i += 1) {
        if (buffers[i][positions[i]] !== min) continue;
        positions[i] += 1;
        if (positions[i] >= buffers[i].length) {
          await refill(i);
          positions[i] = 0;
        }
      }
      out.push(min);
      if (out.length >= chunk) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  async countMembers(segmentIds: string[]) {
    let n = 0;
    for await (const ids of this.currentMembers(segmentIds, 10_000)) n += ids.length;
    return n;
  }

  async countRecentMembers(segmentId: string, since: number) {
    let n = 0;
    for await (const entries of this.scan<MembershipValue>(k('m', segmentId), 10_000)) for (const [, v] of entries) if (v.m && v.t >= since) n += 1;
    return n;
  }

  async profiles(profileIds: string[]) {
    const values = decodeAll<{ a: ProfileState['attributes']; t: number }>(await this.db.getMany(profileIds.map((p) => k('p', p))));
    const out = new Map<string, ProfileState>();
    values.forEach((v, i) => v && out.set(profileIds[i], { profileId: profileIds[i], attributes: v.a, t: v.t }));
    return out;
  }

  async *dropOutBefore(segmentId: string, before: number, chunk: number) {
    for await (const entries of this.scan<MembershipValue>(k('m', segmentId), chunk)) {
      const gone = entries.filter(([, v]) => !v.m && v.t < before);
      if (gone.length === 0) continue;
      yield gone.map(([key, v]) => toMembership(segmentId, lastPart(key), v));
      await this.write(gone.map(([key]) => ({ type: 'del' as const, key })));
    }
  }

  /** One seek per segment: past a segment's last key to the next segment's first. */
  async segments() {
    const out: string[] = [];
    const range = below(k('m'));
    for (let from = range.gte; ; ) {
      const [key] = await this.db.keys({ gte: from, lt: range.lt, limit: 1 }).all();
      if (key === undefined) return out;
      const [segmentId] = idsOf(key);
      out.push(segmentId);
      from = below(k('m', segmentId)).lt;
    }
  }

  async dropProfiles(profileIds: string[]) {
    if (profileIds.length === 0) return;
    await this.write(profileIds.map((p) => ({ type: 'del' as const, key: k('p', p) })));
  }

  async saveProfiles(items: ProfileState[]) {
    if (items.length === 0) return;
    await this.write(items.map((p) => ({ type: 'put' as const, key: k('p', p.profileId), value: { a: p.attributes, t: p.t } })));
  }

  async sent(exportId: string, audienceKey: string, profileIds: string[]) {
    const values = decodeAll<SentValue>(await this.db.getMany(profileIds.map((p) => k('s', exportId, audienceKey, p))));
    const out = new Map<string, SentEntry>();
    values.forEach((v, i) => v && out.set(profileIds[i], { columns: v.c, row: v.r }));
    return out;
  }

  /** Writes the entries and keeps the row-holder index in step, in one atomic batch. */
  async saveSent(exportId: string, audienceKey: string, updates: SentUpdate[], tag?: string) {
    if (updates.length === 0) return;
    const ops: Op[] = [{ type: 'put', key: k('a', exportId, audienceKey), value: 1 }];
    updates.forEach(({ profileId, entry, previous }) => {
      if (previous && previous.row !== entry?.row) ops.push({ type: 'del', key: k('h', exportId, audienceKey, previous.row, profileId) });
      if (entry) {
        ops.push({ type: 'put', key: k('s', exportId, audienceKey, profileId), value: { c: entry.columns, r: entry.row, ...(tag ? { g: tag } : {}) } });
        ops.push({ type: 'put', key: k('h', exportId, audienceKey, entry.row, profileId), value: 1 });
      } else ops.push({ type: 'del', key: k('s', exportId, audienceKey, profileId) });
    });
    await this.write(ops);
  }

  async rowHolders(exportId: string, audienceKey: string, rows: string[]) {
    const out = new Map<string, string[]>();
    for (const row of rows) {
      const holders: string[] = [];
      for await (const ids of this.keys(k('h', exportId, audienceKey, row), 1000)) holders.push(...ids);
      if (holders.length > 0) out.set(row, holders);
    }
    return out;
  }

  sentProfiles(exportId: string, audienceKey: string, chunk: number) {
    return this.keys(k('s', exportId, audienceKey), chunk);
  }

  async dropSentExcept(exportId: string, audienceKey: string, tag: string) {
    for await (const entries of this.scan<SentValue>(k('s', exportId, audienceKey), 5000)) {
      const ops: Op[] = entries.filter(([, v]) => v.g !== tag).flatMap(([key, v]) => [{ type: 'del' as const, key }, { type: 'del' as const, key: k('h', exportId, audienceKey, v.r, lastPart(key)) }]);
      if (ops.length > 0) await this.write(ops);
    }
  }

  /** Key by key, not a range clear: the changelog needs a tombstone for each. */
  async dropSent(exportId: string) {
    for (const type of ['s', 'h', 'a']) {
      for (;;) {
        const keys = await this.db.keys({ ...below(k(type, exportId)), limit: 5000 }).all();
        if (keys.length === 0) break;
        await this.write(keys.map((key) => ({ type: 'del' as const, key })));
      }
    }
  }

  /** The audiences' a|… keys stay when their last entry goes, so an audience counts while it has one. */
  async sentAudiences(exportId: string) {
    const out: string[] = [];
    for await (const ids of this.keys(k('a', exportId), 1000)) {
      for (const audienceKey of ids) if ((await this.db.keys({ ...below(k('s', exportId, audienceKey)), limit: 1 }).all()).length > 0) out.push(audienceKey);
    }
    return out;
  }

  /**
   * The part itself under x|…, and a small y|… entry so listing parts and refreshes never reads
   * their members; it holds the order parts arrived in, counted under Q (state: a restore goes on counting).
   */
  async stagePart(part: StagedPart) {
    const n = String(part.part).padStart(8, '0');
    const arrival = (decode<number>(await this.db.get(ARRIVALS)) ?? 0) + 1;
    await this.write([
      { type: 'put', key: k('x', part.refreshId, n), value: part },
      { type: 'put', key: k('y', part.refreshId, n), value: { part: part.part, final: part.final, partitions: part.partitions, members: part.members.length, segmentId: part.segmentId, t: part.t, arrival, at: part.stagedAt } },
      { type: 'put', key: ARRIVALS, value: arrival },
    ]);
  }

  async stagedParts(refreshId: string) {
    const out: PartInfo[] = [];
    for await (const entries of this.scan<StagedInfo>(k('y', refreshId))) out.push(...entries.map(([, { part, final, partitions, members }]) => ({ part, final, partitions, members })));
    return out;
  }

  /** One seek per staged refresh, as for segments; parts staged by an older version say their segment only in full (x|…). */
  async stagedRefreshes(segmentId?: string) {
    const out: StagedRefresh[] = [];
    const range = below(k('y'));
    for (let from = range.gte; ; ) {
      const [entry] = (await this.db.iterator({ gte: from, lt: range.lt, limit: 1 }).all()) as [string, string][];
      if (entry === undefined) return out;
      const [refreshId] = idsOf(entry[0]);
      from = below(k('y', refreshId)).lt;
      let info: Partial<Pick<StagedPart, 'segmentId' | 't'>> = JSON.parse(entry[1]) as StagedInfo;
      if (info.segmentId === undefined) {
        const [full] = (await this.db.iterator({ ...below(k('x', refreshId)), limit: 1 }).all()) as [string, string][];
        info = full ? (JSON.parse(full[1]) as StagedPart) : {};
      }
      if (info.segmentId === undefined || (segmentId !== undefined && info.segmentId !== segmentId) || info.t === undefined) continue;
      const refresh: StagedRefresh = { refreshId, segmentId: info.segmentId, t: info.t, slices: [] };
      for await (const entries of this.scan<StagedInfo>(k('y', refreshId))) {
        for (const [, { part, partitions, arrival, at }] of entries) {
          refresh.slices.push({ part, partitions, arrival });
          if (at !== undefined) refresh.lastStagedAt = Math.max(refresh.lastStagedAt ?? -Infinity, at);
        }
      }
      out.push(refresh);
    }
  }

  async *stagedMembers(refreshId: string) {
    for await (const entries of this.scan<StagedPart>(k('x', refreshId), 1)) yield entries[0][1];
  }

  /**
   * In one batch: part numbers left without their parts would make a replayed final part look
   * like a complete refresh that lists nobody else.
   */
  async dropStaged(refreshId: string) {
    const ops: Op[] = [];
    for (const type of ['y', 'x']) for await (const key of this.db.keys(below(k(type, refreshId)))) ops.push({ type: 'del', key });
    if (ops.length > 0) await this.write(ops);
  }

  async refreshedAt(segmentId: string) {
    return decode<number>(await this.db.get(k('R', segmentId)));
  }

  async saveRefreshedAt(segmentId: string, t: number) {
    const current = await this.refreshedAt(segmentId);
    if (current === undefined || current < t) await this.write([{ type: 'put', key: k('R', segmentId), value: t }]);
  }

  async latestListing() {
    return decode<number>(await this.db.get(k('A')));
  }

  async saveLatestListing(t: number) {
    await this.write([{ type: 'put', key: k('A'), value: t }]);
  }

  async exportState(exportId: string) {
    return decode<ExportState>(await this.db.get(k('e', exportId)));
  }

  async saveExportState(exportId: string, state: ExportState | null) {
    await this.write([state ? { type: 'put', key: k('e', exportId), value: state } : { type: 'del', key: k('e', exportId) }]);
  }

  /**
   * One atomic batch on disk, then the same writes, encoded once, to the journal; but for the
   * row-holder index, which the sent entries say all of (restore rebuilds it): a quarter fewer
   * changelog records.
   */
  private async write(ops: Op[]): Promise<void> {
    const writes: EncodedWrite[] = ops.map((op) => ({ key: op.key, value: op.type === 'put' ? JSON.stringify(op.value) : null }));
    if (!this.journal) return this.apply(writes);
    const journaled = writes.filter((w) => !w.key.startsWith(HOLDER));
    const batch = this.nextBatch++;
    // The batch's keys go in the same atomic write: after a crash they say what the changelog may lack.
    writes.push({ key: k('U', String(batch)), value: journaled.map((w) => w.key).join(KEY_LIST) });
    await this.apply(writes);
    await this.journal.record(journaled, batch);
  }

  /** After a changelog commit: its end, and the batches it held are no longer unsent. */
  private committed(batches: number[], end: number): Promise<void> {
    return this.db.batch([{ type: 'put', key: 'O', value: String(end) }, ...batches.map((b) => ({ type: 'del' as const, key: k('U', String(b)) }))]);
  }

  private apply(writes: EncodedWrite[]): Promise<void> {
    return this.db.batch(
      writes.map((w) => (w.value === null ? { type: 'del' as const, key: w.key } : { type: 'put' as const, key: w.key, value: w.value })),
    );
  }

  // --- recovery (state-recovery.ts): outside the journal ----------------------------------------

  async marker(): Promise<StoreMarker | undefined> {
    return decode<StoreMarker>(await this.db.get('I'));
  }

  setMarker(marker: StoreMarker): Promise<void> {
    return this.db.put('I', JSON.stringify(marker));
  }

  /** The changelog's end offset after the last commit this disk saw (none before its first, or on a disk from before the changelog kept it). */
  async changelogEnd(): Promise<number | undefined> {
    const value = (await this.db.get('O')) as string | undefined;
    return value === undefined ? undefined : Number(value);
  }

  /**
   * After a crash, when nothing else wrote to the changelog since: the current value of every key
   * written since its last commit goes to the journal (recorded again under one batch, so a crash
   * now loses nothing), and the changelog then holds what the disk holds. Returns how many.
   */
  async resendUnsent(): Promise<number> {
    const batches = (await this.db.iterator(below(UNSENT)).all()) as [string, string][];
    if (batches.length === 0 || !this.journal) return 0;
    const keys = [...new Set(batches.flatMap(([, list]) => (list === '' ? [] : list.split(KEY_LIST))))];
    const values = (await this.db.getMany(keys)) as (string | undefined)[];
    const batch = this.nextBatch++;
    await this.db.batch([...batches.map(([key]) => ({ type: 'del' as const, key })), { type: 'put', key: k('U', String(batch)), value: keys.join(KEY_LIST) }]);
    await this.journal.record(keys.map((key, i) => ({ key, value: values[i] ?? null })), batch);
    return keys.length;
  }

  /** Whether any state is held (anything but the local keys). */
  async hasState(): Promise<boolean> {
    for await (const key of this.db.keys()) if (!isLocal(key)) return true;
    return false;
  }

  /** Forgets all state, keeping the format: what a restore starts from. */
  async wipe(): Promise<void> {
    await this.db.clear();
    await this.db.put('F', JSON.stringify(FORMAT));
  }

  /**
   * Writes restored from the changelog, in order, with the row-holder index kept in step with the
   * sent entries; `next`: the changelog offset to read on from, kept with them in one atomic write
   * (a standby following it).
   */
  async restore(writes: EncodedWrite[], next?: number): Promise<void> {
    const sentKeys = [...new Set(writes.filter((w) => w.key.startsWith(SENT)).map((w) => w.key))];
    const sent = new Map(((await this.db.getMany(sentKeys)) as (string | undefined)[]).map((v, i) => [sentKeys[i], v ?? null]));
    const ops: EncodedWrite[] = [];
    for (const w of writes) {
      if (w.key.startsWith(SENT)) {
        const [exportId, audienceKey, profileId] = idsOf(w.key);
        const holder = (value: string) => k('h', exportId, audienceKey, (JSON.parse(value) as SentValue).r, profileId);
        const before = sent.get(w.key);
        if (before) ops.push({ key: holder(before), value: null });
        if (w.value !== null) ops.push({ key: holder(w.value), value: '1' });
        sent.set(w.key, w.value);
      }
      ops.push(w);
    }
    if (next !== undefined) ops.push({ key: 'O', value: String(next) });
    await this.apply(ops);
  }

  /** Every state entry as the journal would have recorded it (no row-holder index), a chunk at a time (seeding a changelog). */
  async *entries(chunk: number): AsyncIterable<EncodedWrite[]> {
    const iterator = this.db.iterator();
    try {
      for (;;) {
        const entries = (await iterator.nextv(chunk)) as [string, string][];
        if (entries.length === 0) return;
        const writes = entries.filter(([key]) => !isLocal(key) && !key.startsWith(HOLDER)).map(([key, value]) => ({ key, value }));
        if (writes.length > 0) yield writes;
      }
    } finally {
      await iterator.close();
    }
  }

  /** The entries below a key (see `below`), read natively in chunks. */
  private async *scan<V>(parent: string, chunk = 1000): AsyncIterable<[string, V][]> {
    const iterator = this.db.iterator(below(parent));
    try {
      for (;;) {
        const entries = (await iterator.nextv(chunk)) as [string, string][];
        if (entries.length === 0) return;
        yield entries.map(([key, value]) => [key, JSON.parse(value) as V]);
      }
    } finally {
      await iterator.close();
    }
  }

  /** The last id of each key below a key. */
  private async *keys(parent: string, chunk: number): AsyncIterable<string[]> {
    const iterator = this.db.keys(below(parent));
    try {
      for (;;) {
        const keys = (await iterator.nextv(chunk)) as string[];
        if (keys.length === 0) return;
        yield keys.map(lastPart);
      }
    } finally {
      await iterator.close();
    }
  }
}

function toMembership(segmentId: string, profileId: string, v: MembershipValue): Membership {
  return { segmentId, profileId, member: v.m, t: v.t, ...(v.r ? { refreshId: v.r } : {}), ...(v.a !== undefined ? { attributesAt: v.a } : {}) };
}

function decode<T>(value: unknown): T | undefined {
  return value === undefined ? undefined : (JSON.parse(value as string) as T);
}

function decodeAll<T>(values: unknown[]): (T | undefined)[] {
  return values.map((v) => decode<T>(v));
}
