import { compareIds, ExportState, Membership, ProfileState, SentEntry, SentUpdate, StagedPart, StagedRefresh, StateStore } from './state-store';

/** A JSON array: any characters in the ids, and still one key per combination. */
const key = (...ids: string[]) => JSON.stringify(ids);
const sorted = (ids: string[]) => ids.sort(compareIds);

async function* chunks<T>(items: T[], size: number): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** In-memory StateStore with the same semantics as the LevelDB one; for tests and the property model. */
export class MemoryStore implements StateStore {
  readonly members = new Map<string, Membership>();
  readonly profileStates = new Map<string, ProfileState>();
  readonly sentEntries = new Map<string, { exportId: string; audienceKey: string; profileId: string; entry: SentEntry; tag?: string }>();
  readonly staged = new Map<string, StagedPart>();
  readonly exportStates = new Map<string, ExportState>();

  async memberships(segmentId: string, profileIds: string[]) {
    const out = new Map<string, Membership>();
    for (const p of profileIds) {
      const m = this.members.get(key(segmentId, p));
      if (m) out.set(p, { ...m });
    }
    return out;
  }

  async membershipsOfProfiles(profileIds: string[], segmentIds: string[]) {
    const out: Membership[] = [];
    for (const s of segmentIds) for (const p of profileIds) {
      const m = this.members.get(key(s, p));
      if (m) out.push({ ...m });
    }
    return out;
  }

  async saveMemberships(items: Membership[]) {
    for (const m of items) this.members.set(key(m.segmentId, m.profileId), { ...m });
  }

  staleMembers(segmentId: string, refreshId: string, before: number, chunk: number) {
    return chunks([...this.members.values()].filter((m) => m.segmentId === segmentId && m.member && m.refreshId !== refreshId && m.t < before).map((m) => ({ ...m })), chunk);
  }

  segmentProfiles(segmentId: string, chunk: number) {
    return chunks(sorted([...this.members.values()].filter((m) => m.segmentId === segmentId).map((m) => m.profileId)), chunk);
  }

  currentMembers(segmentIds: string[], chunk: number) {
    const set = new Set([...this.members.values()].filter((m) => m.member && segmentIds.includes(m.segmentId)).map((m) => m.profileId));
    return chunks(sorted([...set]), chunk);
  }

  async *dropOutBefore(segmentId: string, before: number, chunk: number) {
    const gone = [...this.members.values()].filter((m) => m.segmentId === segmentId && !m.member && m.t < before).sort((a, b) => compareIds(a.profileId, b.profileId));
    for await (const records of chunks(gone, chunk)) {
      yield records.map((m) => ({ ...m }));
      for (const m of records) this.members.delete(key(segmentId, m.profileId));
    }
  }

  async segments() {
    return sorted([...new Set([...this.members.values()].map((m) => m.segmentId))]);
  }

  async dropProfiles(profileIds: string[]) {
    for (const p of profileIds) this.profileStates.delete(p);
  }

  async countMembers(segmentIds: string[]) {
    return new Set([...this.members.values()].filter((m) => m.member && segmentIds.includes(m.segmentId)).map((m) => m.profileId)).size;
  }

  async countRecentMembers(segmentId: string, since: number) {
    return [...this.members.values()].filter((m) => m.segmentId === segmentId && m.member && m.t >= since).length;
  }

  async profiles(profileIds: string[]) {
    const out = new Map<string, ProfileState>();
    for (const p of profileIds) {
      const s = this.profileStates.get(p);
      if (s) out.set(p, { ...s, attributes: { ...s.attributes } });
    }
    return out;
  }

  async saveProfiles(items: ProfileState[]) {
    for (const p of items) this.profileStates.set(p.profileId, { ...p, attributes: { ...p.attributes } });
  }

  async sent(exportId: string, audienceKey: string, profileIds: string[]) {
    const out = new Map<string, SentEntry>();
    for (const p of profileIds) {
      const e = this.sentEntries.get(key(exportId, audienceKey, p));
      if (e) out.set(p, { row: e.entry.row, columns: { ...e.entry.columns } });
    }
    return out;
  }

  async saveSent(exportId: string, audienceKey: string, updates: SentUpdate[], tag?: string) {
    for (const e of updates) {
      const k = key(exportId, audienceKey, e.profileId);
      if (e.entry) this.sentEntries.set(k, { exportId, audienceKey, profileId: e.profileId, entry: { row: e.entry.row, columns: { ...e.entry.columns } }, tag });
      else this.sentEntries.delete(k);
    }
  }

  async rowHolders(exportId: string, audienceKey: string, rows: string[]) {
    const wanted = new Set(rows);
    const out = new Map<string, string[]>();
    for (const e of this.sentEntries.values()) {
      if (e.exportId !== exportId || e.audienceKey !== audienceKey || !wanted.has(e.entry.row)) continue;
      out.set(e.entry.row, [...(out.get(e.entry.row) ?? []), e.profileId]);
    }
    return out;
  }

  sentProfiles(exportId: string, audienceKey: string, chunk: number) {
    return chunks(sorted([...this.sentEntries.values()].filter((e) => e.exportId === exportId && e.audienceKey === audienceKey).map((e) => e.profileId)), chunk);
  }

  async dropSentExcept(exportId: string, audienceKey: string, tag: string) {
    for (const [k, e] of this.sentEntries) if (e.exportId === exportId && e.audienceKey === audienceKey && e.tag !== tag) this.sentEntries.delete(k);
  }

  async dropSent(exportId: string) {
    for (const [k, e] of this.sentEntries) if (e.exportId === exportId) this.sentEntries.delete(k);
  }

  async sentAudiences(exportId: string) {
    return [...new Set([...this.sentEntries.values()].filter((e) => e.exportId === exportId).map((e) => e.audienceKey))];
  }

  private arrivals = 0;
  private readonly arrivalOf = new Map<string, number>();

  async stagePart(part: StagedPart) {
    this.staged.set(key(part.refreshId, String(part.part)), part);
    this.arrivalOf.set(key(part.refreshId, String(part.part)), (this.arrivals += 1));
  }

  async stagedParts(refreshId: string) {
    return [...this.staged.values()].filter((p) => p.refreshId === refreshId).map((p) => ({ part: p.part, final: p.final, partitions: p.partitions, members: p.members.length }));
  }

  async *stagedMembers(refreshId: string) {
    for (const p of [...this.staged.values()].filter((s) => s.refreshId === refreshId).sort((a, b) => a.part - b.part)) yield p;
  }

  async dropStaged(refreshId: string) {
    for (const [k, p] of this.staged) {
      if (p.refreshId !== refreshId) continue;
      this.staged.delete(k);
      this.arrivalOf.delete(k);
    }
  }

  async stagedRefreshes(segmentId?: string) {
    const out = new Map<string, StagedRefresh>();
    for (const [k, p] of this.staged) {
      if (segmentId !== undefined && p.segmentId !== segmentId) continue;
      const refresh = out.get(p.refreshId) ?? { refreshId: p.refreshId, segmentId: p.segmentId, t: p.t, slices: [] };
      refresh.slices.push({ part: p.part, partitions: p.partitions, arrival: this.arrivalOf.get(k) });
      if (p.stagedAt !== undefined) refresh.lastStagedAt = Math.max(refresh.lastStagedAt ?? -Infinity, p.stagedAt);
      out.set(p.refreshId, refresh);
    }
    return [...out.values()];
  }

  readonly refreshTimes = new Map<string, number>();

  async refreshedAt(segmentId: string) {
    return this.refreshTimes.get(segmentId);
  }

  async saveRefreshedAt(segmentId: string, t: number) {
    this.refreshTimes.set(segmentId, Math.max(t, this.refreshTimes.get(segmentId) ?? t));
  }

  private listing?: number;

  async latestListing() {
    return this.listing;
  }

  async saveLatestListing(t: number) {
    this.listing = t;
  }

  async exportState(exportId: string) {
    return this.exportStates.get(exportId);
  }

  async saveExportState(exportId: string, state: ExportState | null) {
    if (state) this.exportStates.set(exportId, state);
    else this.exportStates.delete(exportId);
  }
}
