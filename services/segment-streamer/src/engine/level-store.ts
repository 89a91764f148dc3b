import { ClassicLevel } from 'classic-level';
import { ExportState, Membership, ProfileState, SentEntry, StagedPart, StateStore } from './state-store';

const S = '\u0001';
const END = '\u0002';
const k = (...parts: string[]) => parts.join(S);

type MembershipValue = { m: boolean; t: number; r?: string };
type SentValue = { i: Record<string, string>; r: string; g?: string };
type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/**
 * The streamer's state on local disk in LevelDB: ordered keys make a segment's members, an
 * audience's sent entries and a row's holders prefix scans, and writes go in atomic batches.
 * Keys (\u0001-separated): m|segment|profile, p|profile, s|export|audience|profile,
 * h|export|audience|row|profile (row holders), a|export|audience, x|refresh|part, R|segment, e|export.
 */
export class LevelStore implements StateStore {
  private readonly db: ClassicLevel<string, unknown>;

  constructor(directory: string) {
    this.db = new ClassicLevel<string, unknown>(directory, { valueEncoding: 'json' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async memberships(segmentId: string, profileIds: string[]) {
    const values = (await this.db.getMany(profileIds.map((p) => k('m', segmentId, p)))) as (MembershipValue | undefined)[];
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
    await this.db.batch(items.map((m) => ({ type: 'put' as const, key: k('m', m.segmentId, m.profileId), value: { m: m.member, t: m.t, ...(m.refreshId ? { r: m.refreshId } : {}) } })));
  }

  async *staleMembers(segmentId: string, refreshId: string, before: number, chunk: number) {
    let out: Membership[] = [];
    for await (const [key, v] of this.scan<MembershipValue>(k('m', segmentId, ''))) {
      if (!v.m || v.r === refreshId || v.t >= before) continue;
      out.push(toMembership(segmentId, lastPart(key), v));
      if (out.length >= chunk) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  segmentProfiles(segmentId: string, chunk: number) {
    return this.chunked(this.scan<MembershipValue>(k('m', segmentId, '')), chunk, (key) => lastPart(key));
  }

  /** A k-way merge of the segments' members in key order, so a profile in two segments comes once. */
  async *currentMembers(segmentIds: string[], chunk: number) {
    const sources = segmentIds.map((s) => this.members(s)[Symbol.asyncIterator]());
    const heads = await Promise.all(sources.map(async (it) => (await it.next()).value as string | undefined));
    let out: string[] = [];
    for (;;) {
      let min: string | undefined;
      for (const h of heads) if (h !== undefined && (min === undefined || h < min)) min = h;
      if (min === undefined) break;
      for (let i = 0; i < heads.length; i += 1) if (heads[i] === min) heads[i] = (await sources[i].next()).value as string | undefined;
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

  async profiles(profileIds: string[]) {
    const values = (await this.db.getMany(profileIds.map((p) => k('p', p)))) as ({ a: ProfileState['attributes']; t: number } | undefined)[];
    const out = new Map<string, ProfileState>();
    values.forEach((v, i) => v && out.set(profileIds[i], { profileId: profileIds[i], attributes: v.a, t: v.t }));
    return out;
  }

  async saveProfiles(items: ProfileState[]) {
    if (items.length === 0) return;
    await this.db.batch(items.map((p) => ({ type: 'put' as const, key: k('p', p.profileId), value: { a: p.attributes, t: p.t } })));
  }

  async sent(exportId: string, audienceKey: string, profileIds: string[]) {
    const values = (await this.db.getMany(profileIds.map((p) => k('s', exportId, audienceKey, p)))) as (SentValue | undefined)[];
    const out = new Map<string, SentEntry>();
    values.forEach((v, i) => v && out.set(profileIds[i], { identifiers: v.i, row: v.r }));
    return out;
  }

  /** Writes the entries and keeps the row-holder index in step, in one atomic batch. */
  async saveSent(exportId: string, audienceKey: string, entries: { profileId: string; entry: SentEntry | null }[], tag?: string) {
    if (entries.length === 0) return;
    const previous = (await this.db.getMany(entries.map((e) => k('s', exportId, audienceKey, e.profileId)))) as (SentValue | undefined)[];
    const ops: Op[] = [{ type: 'put', key: k('a', exportId, audienceKey), value: 1 }];
    entries.forEach(({ profileId, entry }, i) => {
      const old = previous[i];
      if (old && old.r !== entry?.row) ops.push({ type: 'del', key: k('h', exportId, audienceKey, old.r, profileId) });
      if (entry) {
        ops.push({ type: 'put', key: k('s', exportId, audienceKey, profileId), value: { i: entry.identifiers, r: entry.row, ...(tag ? { g: tag } : {}) } });
        ops.push({ type: 'put', key: k('h', exportId, audienceKey, entry.row, profileId), value: 1 });
      } else ops.push({ type: 'del', key: k('s', exportId, audienceKey, profileId) });
    });
    await this.db.batch(ops as never);
  }

  async rowHolders(exportId: string, audienceKey: string, rows: string[]) {
    const out = new Map<string, string[]>();
    for (const row of rows) {
      const holders: string[] = [];
      for await (const [key] of this.scan(k('h', exportId, audienceKey, row, ''))) holders.push(lastPart(key));
      if (holders.length > 0) out.set(row, holders);
    }
    return out;
  }

  sentProfiles(exportId: string, audienceKey: string, chunk: number) {
    return this.chunked(this.scan<SentValue>(k('s', exportId, audienceKey, '')), chunk, (key) => lastPart(key));
  }

  async dropSentExcept(exportId: string, audienceKey: string, tag: string) {
    let ops: Op[] = [];
    for await (const [key, v] of this.scan<SentValue>(k('s', exportId, audienceKey, ''))) {
      if (v.g === tag) continue;
      ops.push({ type: 'del', key }, { type: 'del', key: k('h', exportId, audienceKey, v.r, lastPart(key)) });
      if (ops.length >= 10_000) {
        await this.db.batch(ops as never);
        ops = [];
      }
    }
    if (ops.length > 0) await this.db.batch(ops as never);
  }

  async dropSent(exportId: string) {
    for (const prefix of ['s', 'h', 'a']) await this.db.clear({ gte: k(prefix, exportId, ''), lt: k(prefix, exportId, END) });
  }

  async sentAudiences(exportId: string) {
    const out: string[] = [];
    for await (const [key] of this.scan(k('a', exportId, ''))) out.push(lastPart(key));
    return out;
  }

  async stagePart(part: StagedPart) {
    await this.db.put(k('x', part.refreshId, String(part.part).padStart(8, '0')), part);
  }

  async stagedParts(refreshId: string) {
    const out: { part: number; final: boolean }[] = [];
    for await (const [, v] of this.scan<StagedPart>(k('x', refreshId, ''))) out.push({ part: v.part, final: v.final });
    return out;
  }

  async *stagedMembers(refreshId: string) {
    for await (const [, v] of this.scan<StagedPart>(k('x', refreshId, ''))) yield v;
  }

  async dropStaged(refreshId: string) {
    await this.db.clear({ gte: k('x', refreshId, ''), lt: k('x', refreshId, END) });
  }

  async refreshedAt(segmentId: string) {
    return (await this.db.get(k('R', segmentId))) as number | undefined;
  }

  async saveRefreshedAt(segmentId: string, t: number) {
    const current = await this.refreshedAt(segmentId);
    if (current === undefined || current < t) await this.db.put(k('R', segmentId), t);
  }

  async exportState(exportId: string) {
    return (await this.db.get(k('e', exportId))) as ExportState | undefined;
  }

  async saveExportState(exportId: string, state: ExportState | null) {
    if (state) await this.db.put(k('e', exportId), state);
    else await this.db.del(k('e', exportId));
  }

  private async *members(segmentId: string): AsyncIterable<string> {
    for await (const [key, v] of this.scan<MembershipValue>(k('m', segmentId, ''))) if (v.m) yield lastPart(key);
  }

  /** Entries whose key starts with the prefix (which ends with the separator). */
  private scan<V>(prefix: string): AsyncIterable<[string, V]> {
    return this.db.iterator({ gte: prefix, lt: prefix.slice(0, -1) + END }) as unknown as AsyncIterable<[string, V]>;
  }

  private async *chunked<V, T>(source: AsyncIterable<[string, V]>, chunk: number, map: (key: string, value: V) => T): AsyncIterable<T[]> {
    let out: T[] = [];
    for await (const [key, value] of source) {
      out.push(map(key, value));
      if (out.length >= chunk) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
}

function lastPart(key: string): string {
  return key.slice(key.lastIndexOf(S) + 1);
}

function toMembership(segmentId: string, profileId: string, v: MembershipValue): Membership {
  return { segmentId, profileId, member: v.m, t: v.t, ...(v.r ? { refreshId: v.r } : {}) };
}
