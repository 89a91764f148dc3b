import { Logger } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { withIds } from '@audience-sync/runtime';
import { AudienceRef, EraseEvent, ExportConfig, HashedAttributes, HashedMembershipEvent, HashedProfileEvent, HashedRefreshEvent, HashedRefreshMember, HashedSegmentEvent, refreshSlicePartition, refreshSliceTotal, RunContext, RunRequest, RunStatus, Topics } from '@audience-sync/contracts';
import { AudienceOf, Columns, destinations, streamOf, streamParts } from '@audience-sync/destinations';
import { BATCH_SIZE, ChangeWriter, Output } from './change-writer';
import { Drops } from './drops';
import { DryRunTally } from './dry-run';
import { desiredRow, WantedRow } from './rows';
import { ExportState, Membership, PartInfo, ProfileState, SentUpdate, StagedRefresh, StateStore } from './state-store';

export interface EngineOptions {
  /** Changes per output batch (BATCH_SIZE unless a test makes a few profiles span several batches). */
  batchSize?: number;
  /** How long (event time) a profile may be out of every segment before its attributes are dropped (PURGE_AFTER_MS). */
  purgeAfterMs?: number;
  /** How long an incomplete refresh may get no part before dropAbandonedRefreshes drops it (ABANDON_REFRESH_AFTER_MS). */
  abandonRefreshAfterMs?: number;
  /** The streamer's clock (tests set it). */
  now?: () => number;
}

/** 30 days: a profile that comes back within a month needs no attributes on its return. */
export const PURGE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

/** A day: upstream sends a refresh's parts within minutes; one silent this long lost the rest. */
export const ABANDON_REFRESH_AFTER_MS = 24 * 60 * 60 * 1000;

export interface RunReporter {
  report(status: Omit<RunStatus, 'stage' | 'at'>): Promise<void>;
}

/** What a caller already holds for a chunk of profiles: their membership in one segment, perhaps their attributes. */
interface Known {
  segmentId: string;
  member: Map<string, boolean>;
  profiles?: Map<string, ProfileState>;
}

/** An export a completing refresh feeds, and its run. `inline`: reconciled while the parts are applied. */
interface RefreshFeed {
  config: ExportConfig;
  state: ExportState;
  activating: boolean;
  inline: boolean;
  audiences: AudienceOf[];
  runId: string;
  writer: ChangeWriter;
  drops: Drops;
}

/**
 * Turns segment events into per-audience membership changes, exactly:
 * - event time decides (a change older than what a profile's membership already reflects is
 *   ignored), so deltas and refreshes may interleave in any arrival order;
 * - an audience holds a profile while it is a member of at least one segment feeding it;
 * - what was added is remembered per audience, so a removal removes exactly that and a changed
 *   identifier swaps the old for the new;
 * - a refresh is staged part by part and applied only when complete; an export receives nothing
 *   until its first refresh or on-demand run, and nothing while paused (delivering).
 * All work is serialised: one operation at a time touches the state.
 */
export class MembershipEngine {
  private readonly logger = new Logger(MembershipEngine.name);
  private readonly configs = new Map<string, ExportConfig>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Changes per output batch, and profiles worked on at once: one batch's worth, so a chunk's changes go out in one send. */
  private readonly chunk: number;
  private readonly purgeAfterMs: number;
  private readonly abandonRefreshAfterMs: number;
  private readonly now: () => number;
  private readonly staging = new Map<string, Map<number, PartInfo>>();

  constructor(
    private readonly store: StateStore,
    private readonly output: Output,
    private readonly runs: RunReporter,
    options: EngineOptions = {},
  ) {
    this.chunk = options.batchSize ?? BATCH_SIZE;
    this.purgeAfterMs = options.purgeAfterMs ?? PURGE_AFTER_MS;
    this.abandonRefreshAfterMs = options.abandonRefreshAfterMs ?? ABANDON_REFRESH_AFTER_MS;
    this.now = options.now ?? Date.now;
  }

  private writer(mode: 'delta' | 'full-sync', run?: Omit<RunContext, 'last'>): ChangeWriter {
    return new ChangeWriter(this.output, mode, run, this.chunk);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  exportIds(): string[] {
    return [...this.configs.keys()];
  }

  /**
   * The exports live changes and refreshes are delivered to: all but the paused. A paused export's
   * membership state still follows every event (it is per segment, not per export), while what was
   * sent for it stays as it was: the full sync on resume compares the two and sends exactly the
   * difference, additions and removals made while paused included. Erasures still reach it (erase):
   * a legal duty to remove a person does not wait for an admin to resume.
   */
  private delivering(): ExportConfig[] {
    return [...this.configs.values()].filter((c) => !c.paused);
  }

  applyConfig(exportId: string, config: ExportConfig | null): Promise<void> {
    return this.serial(() => this.config(exportId, config));
  }

  handleEvents(events: HashedSegmentEvent[]): Promise<void> {
    return this.serial(() => this.events(events));
  }

  /** Waits (outside the queue, so configurations keep arriving) until the configuration the run was asked with is here. */
  async handleRunRequest(request: RunRequest, waitMs = 30000): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (request.exportVersion && (this.configs.get(request.exportId)?.version ?? 0) < request.exportVersion && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.serial(() => (request.dryRun ? this.dryRun(request) : this.fullSync(request)));
  }

  // --- export configuration -------------------------------------------------------------------

  private async config(exportId: string, config: ExportConfig | null): Promise<void> {
    if (!config) {
      this.configs.delete(exportId);
      await this.store.dropSent(exportId);
      await this.store.saveExportState(exportId, null);
      return;
    }
    const previous = this.configs.get(exportId);
    if (previous && previous.version > config.version) return;
    this.configs.set(exportId, config);
    const state = await this.store.exportState(exportId);
    const { fingerprint, audienceFingerprint } = streamOf(config);
    if (!state) {
      await this.store.saveExportState(exportId, { activated: false, fingerprint, audienceFingerprint });
      return;
    }
    if (state.fingerprint === fingerprint) return;
    if (state.audienceFingerprint !== audienceFingerprint) {
      // Another destination audience: what was sent to the old one says nothing about the new one.
      await this.store.dropSent(exportId);
      await this.store.saveExportState(exportId, { activated: false, fingerprint, audienceFingerprint });
      return;
    }
    // A paused export is sent nothing: the change stays unrecorded, so the configuration that
    // resumes it finds it still to do and reconciles then (before the resume's full sync, which
    // does not look at audiences the export no longer feeds).
    if (config.paused) return;
    // Recorded after the reconcile: a crash in it must find the change still to do at the restart.
    if (state.activated) await this.reconcileSent(config);
    await this.store.saveExportState(exportId, { ...state, fingerprint });
  }

  /** After a mapping or segment change: every profile sent so far is looked at again. */
  private async reconcileSent(config: ExportConfig): Promise<void> {
    const writer = this.writer('delta');
    const { audiences } = streamOf(config);
    const current = new Set(audiences.map((a) => a.audienceKey));
    for (const audienceKey of await this.store.sentAudiences(config.exportId)) {
      const audience = audiences.find((a) => a.audienceKey === audienceKey) ?? { audienceKey, segmentIds: [] };
      for await (const profileIds of this.store.sentProfiles(config.exportId, audienceKey, this.chunk)) {
        await this.reconcile(config, audience, profileIds, writer);
      }
      if (!current.has(audienceKey)) this.logger.log(withIds({ exportId: config.exportId }, `segment audience ${audienceKey} left the export; its members were removed`));
    }
    await writer.finish();
  }

  // --- live events ----------------------------------------------------------------------------

  private async events(events: HashedSegmentEvent[]): Promise<void> {
    const dirty = new Map<string, Set<string>>(); // segmentId -> profiles whose membership changed
    const attributesChanged = new Set<string>();
    const memberships = events.filter((e): e is HashedMembershipEvent => e.type === 'membership');
    const profileEvents = events.filter((e): e is HashedProfileEvent => e.type === 'profile');
    const refreshes = events.filter((e): e is HashedRefreshEvent => e.type === 'refresh');
    const erasures = events.filter((e): e is EraseEvent => e.type === 'erase');

    const profileIds = [...new Set([...memberships.map((e) => e.profileId), ...profileEvents.map((e) => e.profileId)])];
    const profiles = await this.store.profiles(profileIds);
    const withAttributes = [...memberships, ...profileEvents].filter((e) => e.attributes && Object.keys(e.attributes).length > 0);
    const oldest = withAttributes.reduce((min, e) => Math.min(min, Date.parse(e.occurredAt)), Infinity);
    await this.withListings(profiles, [...new Set(withAttributes.map((e) => e.profileId))], oldest);
    const touchedProfiles = new Map<string, ProfileState>();
    const applyAttributes = (profileId: string, attributes: HashedAttributes | null | undefined, t: number) => {
      if (!attributes || Object.keys(attributes).length === 0) return;
      const state = profiles.get(profileId);
      if (state && state.t > t) return;
      const merged = mergeAttributes(state?.attributes, attributes);
      const next = { profileId, attributes: merged, t };
      profiles.set(profileId, next);
      touchedProfiles.set(profileId, next);
      attributesChanged.add(profileId);
    };

    const bySegment = groupBy(memberships, (e) => e.segmentId);
    const changedMemberships: Membership[] = [];
    for (const [segmentId, segmentEvents] of bySegment) {
      const current = await this.membershipsWithImplicit(segmentId, [...new Set(segmentEvents.map((e) => e.profileId))]);
      for (const event of segmentEvents) {
        const t = Date.parse(event.occurredAt);
        applyAttributes(event.profileId, event.attributes, t);
        const existing = current.get(event.profileId);
        if (existing && existing.t > t) continue;
        if (!dirty.has(segmentId)) dirty.set(segmentId, new Set());
        // Same time and status: already applied, perhaps before a crash; reconciling again is harmless.
        dirty.get(segmentId)!.add(event.profileId);
        if (existing && existing.t === t && existing.member === (event.status === 'entered')) continue;
        const next: Membership = { ...existing, segmentId, profileId: event.profileId, member: event.status === 'entered', t };
        current.set(event.profileId, next);
        changedMemberships.push(next);
      }
    }
    for (const event of profileEvents) applyAttributes(event.profileId, event.attributes, Date.parse(event.occurredAt));
    await this.store.saveMemberships(dedupeLast(changedMemberships, (m) => `${m.segmentId}\u0000${m.profileId}`));
    await this.store.saveProfiles([...touchedProfiles.values()]);

    await this.reconcileDirty(dirty, attributesChanged);

    for (const refresh of refreshes) {
      await this.store.stagePart({ refreshId: refresh.refreshId, segmentId: refresh.segmentId, part: refresh.part, final: refresh.final, partitions: refresh.partitions, t: Date.parse(refresh.occurredAt), stagedAt: this.now(), members: refresh.members });
      const parts = await this.stagedParts(refresh);
      if (this.complete(refresh, parts)) await this.completeRefresh(refresh.refreshId, refresh.segmentId, Date.parse(refresh.occurredAt), parts);
    }
    for (const erasure of erasures) await this.erase(erasure);
  }

  /**
   * The refresh's staged parts after staging this one: read from the store at its first part
   * since start, then kept here (reading them all again for every part costs the square of their
   * number, and a refresh has a part per partition and slice).
   */
  private async stagedParts(refresh: HashedRefreshEvent): Promise<PartInfo[]> {
    let parts = this.staging.get(refresh.refreshId);
    if (!parts) {
      parts = new Map((await this.store.stagedParts(refresh.refreshId)).map((p) => [p.part, p]));
      this.staging.set(refresh.refreshId, parts);
    } else parts.set(refresh.part, { part: refresh.part, final: refresh.final, partitions: refresh.partitions, members: refresh.members.length });
    return [...parts.values()];
  }

  /**
   * Whether slices 1…total are all staged, total told by any final slice (each partition's share
   * has one). Slices cut for different partition counts cannot tell a total: said loudly, not applied.
   */
  private complete(refresh: HashedRefreshEvent, parts: PartInfo[]): boolean {
    const counts = [...new Set(parts.map((p) => p.partitions ?? 1))];
    if (counts.length > 1) {
      this.logger.error(
        `refresh ${refresh.refreshId} of segment ${refresh.segmentId}: its slices were cut for ${counts.sort((a, b) => a - b).join(' and ')} partitions of ${Topics.hashedSegmentEvents.name} (its partition count changed while the refresh was hashed), so its end cannot be told and it is not applied; send the segment's refresh again`,
      );
      return false;
    }
    const last = parts.find((p) => p.final);
    if (!last) return false;
    const total = refreshSliceTotal(last);
    return new Set(parts.map((p) => p.part)).size === total && parts.every((p) => p.part <= total);
  }

  // --- erasure and purge -----------------------------------------------------------------------

  /**
   * A profile's erasure: out of every segment as of the request (an older event cannot bring it
   * back; a newer one can), its rows removed from every audience unless another profile or export
   * holds them, its attributes dropped (as of the request, again so older events stay out). Reported as an `erase` run of each export whose audiences
   * held it. Idempotent: a replay finds nothing left to remove.
   */
  private async erase(event: EraseEvent): Promise<void> {
    const { profileId } = event;
    const t = Date.parse(event.occurredAt);
    // Every segment known, with a record of the profile or not: an older event for any of them stays out.
    const segments = [...new Set([...(await this.store.segments()), ...[...this.configs.values()].flatMap((c) => c.segments.map((s) => s.id))])];
    const records = new Map((await this.store.membershipsOfProfiles([profileId], segments)).map((m) => [m.segmentId, m]));
    await this.store.saveMemberships(segments.filter((s) => (records.get(s)?.t ?? -Infinity) <= t).map((segmentId) => ({ segmentId, profileId, member: false, t })));
    // No attributes, but the time: an older event's attributes cannot come back (purge drops it later).
    // Before the audiences are reconciled: a newer record may keep the profile in a segment, and
    // without attributes it has no row there either.
    const profile = (await this.store.profiles([profileId])).get(profileId);
    const listedAt = Math.max(...[...records.values()].map((m) => m.attributesAt ?? -Infinity));
    if (!profile || Math.max(profile.t, listedAt) <= t) await this.store.saveProfiles([{ profileId, attributes: {}, t }]);
    let exports = 0;
    for (const config of this.configs.values()) {
      if (!(await this.store.exportState(config.exportId))?.activated) continue;
      const held: AudienceOf[] = [];
      for (const audience of streamOf(config).audiences) if ((await this.store.sent(config.exportId, audience.audienceKey, [profileId])).has(profileId)) held.push(audience);
      if (held.length === 0) continue;
      const runId = `erase-${event.eventId}-${config.exportId}`;
      const writer = this.writer('delta', { runId, trigger: 'erase', audiences: held.length });
      for (const audience of held) {
        writer.touch(this.refOf(config, audience));
        await this.reconcile(config, audience, [profileId], writer);
      }
      await writer.finish();
      await this.runs.report({ runId, exportId: config.exportId, trigger: 'erase', state: 'succeeded', counts: { ...writer.counts, invalid: 0, failed: 0 } });
      exports += 1;
    }
    this.logger.log(`erasure ${event.eventId}: removed from the audiences of ${exports} export(s); attributes dropped`);
  }

  /**
   * After a complete refresh: records of profiles out of the segment since before it say nothing
   * the refresh does not (membershipsWithImplicit), so they go; a profile left with no record in
   * any segment whose attributes are older than purgeAfterMs before the refresh loses them too.
   */
  private async purge(segmentId: string, t: number): Promise<void> {
    const others = (await this.store.segments()).filter((s) => s !== segmentId);
    for await (const records of this.store.dropOutBefore(segmentId, t, this.chunk)) {
      const ids = records.map((m) => m.profileId);
      const profiles = await this.store.profiles(ids);
      // A listing's time would leave with its record: the profile keeps it, so older events still cannot change its attributes.
      const listed: ProfileState[] = [];
      for (const m of records) {
        const state = profiles.get(m.profileId);
        if (state && m.attributesAt !== undefined && m.attributesAt > state.t) listed.push({ ...state, t: m.attributesAt });
      }
      await this.store.saveProfiles(listed);
      for (const state of listed) profiles.set(state.profileId, state);
      const recorded = new Set((await this.store.membershipsOfProfiles(ids, others)).map((m) => m.profileId));
      await this.store.dropProfiles([...profiles.values()].filter((p) => !recorded.has(p.profileId) && p.t < t - this.purgeAfterMs).map((p) => p.profileId));
    }
  }

  /**
   * The profiles' attribute times as comparisons with an event at `t` (the oldest at hand) need
   * them: a refresh listing that changed no attribute kept its time on the membership record
   * (attributesAt) instead of rewriting the profile. Read only when some listing is newer than `t`.
   */
  private async withListings(profiles: Map<string, ProfileState>, ids: string[], t: number): Promise<void> {
    const latest = await this.store.latestListing();
    if (latest === undefined || latest <= t || ids.length === 0) return;
    for (const m of await this.store.membershipsOfProfiles(ids, await this.store.segments())) {
      const state = profiles.get(m.profileId);
      if (state && m.attributesAt !== undefined && m.attributesAt > state.t) profiles.set(m.profileId, { ...state, t: m.attributesAt });
    }
  }

  private async reconcileDirty(dirty: Map<string, Set<string>>, attributesChanged: Set<string>): Promise<void> {
    if (dirty.size === 0 && attributesChanged.size === 0) return;
    const writer = this.writer('delta');
    for (const config of this.delivering()) {
      if (!(await this.store.exportState(config.exportId))?.activated) continue;
      for (const audience of streamOf(config).audiences) {
        const candidates = new Set<string>(attributesChanged);
        for (const s of audience.segmentIds) for (const p of dirty.get(s) ?? []) candidates.add(p);
        const ids = [...candidates];
        for (let i = 0; i < ids.length; i += this.chunk) await this.reconcile(config, audience, ids.slice(i, i + this.chunk), writer);
      }
    }
    await writer.finish();
  }

  /**
   * Brings one audience in line with the state for these profiles, counting members with no
   * usable identifier in `drops`. A row leaves the destination only when no other profile of the
   * audience still maps to it (two profiles may share an email), and no other export feeding the
   * same destination audience holds it.
   */
  private async reconcile(config: ExportConfig, audience: AudienceOf, profileIds: string[], writer: ChangeWriter, known?: Known, drops?: Drops): Promise<void> {
    if (profileIds.length === 0) return;
    const ref = this.refOf(config, audience);
    const updates: SentUpdate[] = [];
    const leaving = new Map<string, { profiles: Set<string>; columns: Columns }>();
    const adds: { profileId: string; columns: Columns; dropped: string[] }[] = [];
    const arriving = new Set<string>();
    for (const { profileId, current, wanted } of await this.wantedRows(config, audience, profileIds, known, drops)) {
      const desired = wanted.entry;
      if (current?.row === desired?.row) continue;
      if (current) {
        const entry = leaving.get(current.row) ?? { profiles: new Set<string>(), columns: current.columns };
        entry.profiles.add(profileId);
        leaving.set(current.row, entry);
      }
      if (desired) {
        arriving.add(desired.row);
        adds.push({ profileId, columns: desired.columns, dropped: wanted.dropped ?? [] });
      }
      updates.push({ profileId, entry: desired, previous: current });
    }
    for (const [, { profiles: gone, columns: removed }] of await this.leavingRows(config, audience, leaving, arriving)) {
      await writer.add(ref, { op: 'remove', profileId: [...gone][0], columns: removed });
    }
    for (const add of adds) await writer.add(ref, { op: 'add', ...add });
    await writer.flush();
    await this.store.saveSent(config.exportId, audience.audienceKey, updates);
  }

  /** For these profiles: what the audience was sent for each, and the row it should hold now (none once out of it). */
  private async wantedRows(config: ExportConfig, audience: AudienceOf, profileIds: string[], known?: Known, drops?: Drops): Promise<WantedRow[]> {
    const stored = known ? audience.segmentIds.filter((s) => s !== known.segmentId) : audience.segmentIds;
    const [memberships, profiles, sent] = await Promise.all([
      stored.length > 0 ? this.store.membershipsOfProfiles(profileIds, stored) : Promise.resolve([]),
      known?.profiles ?? this.store.profiles(profileIds),
      this.store.sent(config.exportId, audience.audienceKey, profileIds),
    ]);
    const inAudience = new Set(memberships.filter((m) => m.member).map((m) => m.profileId));
    if (known && audience.segmentIds.includes(known.segmentId)) for (const p of profileIds) if (known.member.get(p)) inAudience.add(p);
    const { rules } = streamOf(config);
    return profileIds.map((profileId) => {
      const current = sent.get(profileId);
      const wanted = inAudience.has(profileId) ? desiredRow(rules, profiles.get(profileId)?.attributes, current) : { entry: null };
      if (wanted.drop) drops?.add(wanted.drop);
      return { profileId, current, wanted };
    });
  }

  /**
   * Of the rows some profiles let go of (`leaving`: row -> those profiles), those that leave the
   * destination audience: no other profile of the audience holds them, none arrives at them, and
   * no other export feeding the same destination audience holds them.
   */
  private async leavingRows<T extends { profiles: Set<string> }>(config: ExportConfig, audience: AudienceOf, leaving: Map<string, T>, arriving: Set<string>): Promise<[string, T][]> {
    const out: [string, T][] = [];
    const rows = [...leaving.keys()].filter((row) => !arriving.has(row));
    for (let i = 0; i < rows.length; i += this.chunk) {
      const slice = rows.slice(i, i + this.chunk);
      const holders = await this.store.rowHolders(config.exportId, audience.audienceKey, slice);
      const candidates = slice.filter((row) => !(holders.get(row) ?? []).some((p) => !leaving.get(row)!.profiles.has(p)));
      const elsewhere = candidates.length > 0 ? await this.heldByOtherExports(config, audience, candidates) : new Set<string>();
      for (const row of candidates) if (!elsewhere.has(row)) out.push([row, leaving.get(row)!]);
    }
    return out;
  }

  /** The other activated exports' audiences that are the same destination audience as this one. */
  private async sharers(config: ExportConfig, audience: AudienceOf): Promise<{ config: ExportConfig; audience: AudienceOf }[]> {
    const target = streamOf(config).destinationAudience(audience);
    const out: { config: ExportConfig; audience: AudienceOf }[] = [];
    for (const other of this.configs.values()) {
      if (other.exportId === config.exportId || other.destination.type !== config.destination.type) continue;
      const bound = streamOf(other);
      const same = bound.audiences.filter((a) => bound.destinationAudience(a) === target);
      if (same.length > 0 && (await this.store.exportState(other.exportId))?.activated) for (const a of same) out.push({ config: other, audience: a });
    }
    return out;
  }

  /** Rows another export still holds in the same destination audience: removing them would take its members. */
  private async heldByOtherExports(config: ExportConfig, audience: AudienceOf, rows: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (const other of await this.sharers(config, audience)) {
      for (const [row, profiles] of await this.store.rowHolders(other.config.exportId, other.audience.audienceKey, rows)) if (profiles.length > 0) held.add(row);
    }
    return held;
  }

  // --- refreshes ------------------------------------------------------------------------------

  /**
   * Memberships as of now: a profile whose record is older than the segment's latest complete
   * refresh (or that has none) was not listed by it, so it is out as of that refresh.
   */
  private async membershipsWithImplicit(segmentId: string, profileIds: string[]): Promise<Map<string, Membership>> {
    const [current, refreshedAt] = await Promise.all([this.store.memberships(segmentId, profileIds), this.store.refreshedAt(segmentId)]);
    if (refreshedAt !== undefined) {
      for (const profileId of profileIds) {
        const record = current.get(profileId);
        if (!record || record.t < refreshedAt) current.set(profileId, { ...record, segmentId, profileId, member: false, t: refreshedAt });
      }
    }
    return current;
  }

  /**
   * Applies a complete refresh in one pass over its parts: each chunk's memberships and attributes
   * are worked out, the audiences are brought in line with them while they are at hand, and only
   * then are they stored. An export whose size limit cannot be shown to hold beforehand is
   * reconciled after the pass, once its exact size is known.
   */
  private async completeRefresh(refreshId: string, segmentId: string, t: number, parts: { members?: number }[]): Promise<void> {
    const listed = parts.reduce((n, p) => n + (p.members ?? Infinity), 0);
    // Members with a record newer than the refresh stay whether listed or not.
    const recent = await this.store.countRecentMembers(segmentId, t);
    const feeds: RefreshFeed[] = [];
    // A refresh also carries attributes: activated audiences not fed by this segment may hold its profiles too.
    const elsewhere: { config: ExportConfig; audience: AudienceOf }[] = [];
    for (const config of this.delivering()) {
      const state = (await this.store.exportState(config.exportId))!;
      if (state.activated) for (const audience of streamOf(config).audiences) if (!audience.segmentIds.includes(segmentId)) elsewhere.push({ config, audience });
      if (!config.segments.some((s) => s.id === segmentId)) continue;
      // The first refresh after an export was saved brings its whole audience in line; later ones the refreshed segment's profiles.
      const activating = !state.activated;
      const audiences = streamOf(config).audiences.filter((a) => activating || a.segmentIds.includes(segmentId));
      const runId = `refresh-${refreshId}-${config.exportId}`;
      feeds.push({
        config,
        state,
        activating,
        audiences,
        runId,
        inline: listed + recent + (await this.membersOfOtherSegments(config, segmentId)) <= config.maxProfiles,
        writer: this.writer('delta', { runId, trigger: 'refresh', audiences: audiences.length, fills: activating }),
        drops: new Drops(),
      });
    }
    const inline = feeds.filter((f) => f.inline).flatMap((feed) => feed.audiences.filter((a) => a.segmentIds.includes(segmentId)).map((audience) => ({ feed, audience })));
    const attributesWriter = this.writer('delta');

    for await (const { members, times } of this.listedChunks(refreshId)) {
      const oldest = Math.min(...new Set(times));
      const newest = Math.max(...new Set(times));
      // Before any record names the listing's time (attributesAt).
      if (((await this.store.latestListing()) ?? -Infinity) < newest) await this.store.saveLatestListing(newest);
      const ids = [...new Set(members.map((m) => m.profileId))];
      const [current, profiles] = await Promise.all([this.membershipsWithImplicit(segmentId, ids), this.store.profiles(ids)]);
      await this.withListings(profiles, ids, oldest);
      const memberships = new Map<string, Membership>();
      const touched = new Map<string, ProfileState>();
      members.forEach((m, i) => {
        const t = times[i];
        // Listed twice (two parts in one chunk): the record as the earlier listing left it.
        const existing = memberships.get(m.profileId) ?? current.get(m.profileId);
        const record: Membership = existing && existing.t >= t ? { ...existing, refreshId } : { ...existing, segmentId, profileId: m.profileId, member: true, t, refreshId };
        const state = profiles.get(m.profileId);
        if (m.attributes && Object.keys(m.attributes).length > 0 && (!state || state.t <= t)) {
          const next = { profileId: m.profileId, attributes: mergeAttributes(state?.attributes, m.attributes), t };
          profiles.set(m.profileId, next);
          // Unchanged attributes are not rewritten (a daily refresh's largest write): the record keeps the listing's time.
          if (state && isDeepStrictEqual(state.attributes, next.attributes)) record.attributesAt = t;
          else touched.set(m.profileId, next);
        }
        memberships.set(m.profileId, record);
      });
      const known: Known = { segmentId, member: new Map([...memberships].map(([p, m]) => [p, m.member])), profiles };
      for (const { feed, audience } of inline) await this.reconcile(feed.config, audience, ids, feed.writer, known, feed.drops);
      for (const { config, audience } of elsewhere) await this.reconcile(config, audience, [...touched.keys()], attributesWriter, known);
      await this.store.saveMemberships([...memberships.values()]);
      await this.store.saveProfiles([...touched.values()]);
    }
    for await (const stale of this.store.staleMembers(segmentId, refreshId, t, this.chunk)) {
      const ids = stale.map((m) => m.profileId);
      const known: Known = { segmentId, member: new Map(ids.map((p) => [p, false])) };
      for (const { feed, audience } of inline) await this.reconcile(feed.config, audience, ids, feed.writer, known);
      // Only after the reconcile: once stored as out, a profile is no longer stale, and a crash in between would leave its row behind.
      await this.store.saveMemberships(stale.map((m) => ({ ...m, member: false, t })));
    }
    await this.store.saveRefreshedAt(segmentId, t);

    for (const feed of feeds) await this.finishRefreshRun(feed, refreshId, segmentId, recent > 0);
    await attributesWriter.finish();
    await this.purge(segmentId, t);
    await this.dropSuperseded(segmentId, refreshId);
    // Only now: a crash before this point replays the final part, which finds the parts and completes again.
    await this.store.dropStaged(refreshId);
    this.staging.delete(refreshId);
  }

  /**
   * Upstream sends a segment's refreshes on one partition, and the hasher keeps their order on
   * each of its own: an older refresh of the segment whose slices came before this one's on a
   * partition was sent before it, so now that this one is complete, that one has had every slice
   * it will get and never completes. Its staged parts would otherwise stay on disk and in the
   * changelog for good (with the digests of profiles erased since). Kept: one sent after this one,
   * whatever its time (still arriving), and a newer one (upstream sending two at once).
   */
  private async dropSuperseded(segmentId: string, refreshId: string): Promise<void> {
    const staged = await this.store.stagedRefreshes(segmentId);
    const firstArrivals = (refresh: StagedRefresh) => {
      const first = new Map<number, number>();
      for (const s of refresh.slices) {
        if (s.arrival === undefined) continue;
        const partition = refreshSlicePartition(s);
        first.set(partition, Math.min(first.get(partition) ?? Infinity, s.arrival));
      }
      return first;
    };
    const done = staged.find((r) => r.refreshId === refreshId);
    if (!done) return;
    const doneFirst = firstArrivals(done);
    for (const other of staged) {
      if (other.refreshId === refreshId || other.t >= done.t || ![...firstArrivals(other)].some(([partition, arrival]) => arrival < (doneFirst.get(partition) ?? -Infinity))) continue;
      await this.store.dropStaged(other.refreshId);
      this.staging.delete(other.refreshId);
      this.logger.warn(`refresh ${other.refreshId} of segment ${segmentId} never completed: the newer refresh ${refreshId}, sent after it, did, so what was staged for it is dropped: its missing parts were lost before they reached the streamer, and the newer refresh's listing stands`);
    }
  }

  /**
   * Drops every incomplete refresh no part of which arrived for the abandon period, by the
   * streamer's clock (a backfill's old event times do not count): its missing parts were lost
   * upstream, and a segment never refreshed again would never supersede it (dropSuperseded), so its
   * staged parts, members' digests, would stay on disk and in the changelog for good. Parts staged
   * by an older version, without their arrival time, go by the refresh's event time. Nothing is
   * dropped before the instance has been active (`activeSince`) for the period: parts that waited in
   * the topic while none was did not take that long upstream. Returns how many.
   */
  dropAbandonedRefreshes(activeSince: number): Promise<number> {
    return this.serial(async () => {
      const now = this.now();
      if (now - activeSince < this.abandonRefreshAfterMs) return 0;
      let dropped = 0;
      for (const refresh of await this.store.stagedRefreshes()) {
        const last = refresh.lastStagedAt ?? refresh.t;
        if (now - last < this.abandonRefreshAfterMs) continue;
        await this.store.dropStaged(refresh.refreshId);
        this.staging.delete(refresh.refreshId);
        dropped += 1;
        this.logger.warn(
          `refresh ${refresh.refreshId} of segment ${refresh.segmentId} never completed, and no part of it arrived for ${Math.floor((now - last) / 3_600_000)} hours: what was staged for it is dropped. Its other parts were lost before they reached the streamer; the segment's members stay as its last complete refresh and events since left them until upstream sends a whole refresh again`,
        );
      }
      return dropped;
    });
  }

  /**
   * A staged refresh's members, each with its part's time, a chunk's worth at a time across parts:
   * a part holds one partition's slice, which may be small, and a chunk is a batch to the sinks.
   */
  private async *listedChunks(refreshId: string): AsyncGenerator<{ members: HashedRefreshMember[]; times: number[] }> {
    let chunk = { members: [] as HashedRefreshMember[], times: [] as number[] };
    for await (const part of this.store.stagedMembers(refreshId)) {
      for (const m of part.members) {
        chunk.members.push(m);
        chunk.times.push(part.t);
        if (chunk.members.length === this.chunk) {
          yield chunk;
          chunk = { members: [], times: [] };
        }
      }
    }
    if (chunk.members.length > 0) yield chunk;
  }

  /**
   * The members of the export's other segments. With the listed profiles and the refreshed
   * segment's newer members, an upper bound of the export's size once the refresh is applied.
   */
  private async membersOfOtherSegments(config: ExportConfig, segmentId: string): Promise<number> {
    let n = 0;
    for (const { id } of config.segments) if (id !== segmentId) n += await this.store.countMembers([id]);
    return n;
  }

  private async finishRefreshRun(feed: RefreshFeed, refreshId: string, segmentId: string, unlistedMembers: boolean): Promise<void> {
    const { config } = feed;
    if (!feed.inline) {
      const size = await this.store.countMembers(config.segments.map((s) => s.id));
      if (size > config.maxProfiles) return this.failRun(config, feed.runId, 'refresh', size);
    }
    for (const audience of feed.audiences) {
      feed.writer.touch(this.refOf(config, audience));
      const fed = audience.segmentIds.includes(segmentId);
      if (!feed.inline && fed) for await (const ids of this.store.segmentProfiles(segmentId, this.chunk)) await this.reconcile(config, audience, ids, feed.writer, undefined, feed.drops);
      if (feed.inline && fed && feed.activating && unlistedMembers) {
        // Members the refresh did not list whose newer record keeps them in: with no time bound, exactly what staleMembers finds now.
        for await (const unlisted of this.store.staleMembers(segmentId, refreshId, Infinity, this.chunk)) await this.reconcile(config, audience, unlisted.map((m) => m.profileId), feed.writer, undefined, feed.drops);
      }
      const others = feed.activating ? audience.segmentIds.filter((s) => s !== segmentId) : [];
      if (others.length === 0) continue;
      for await (const ids of this.store.currentMembers(others, this.chunk)) {
        // Members of the refreshed segment were reconciled already.
        const refreshed = fed ? await this.store.memberships(segmentId, ids) : new Map<string, Membership>();
        const rest = ids.filter((p) => !refreshed.get(p)?.member);
        await this.reconcile(config, audience, rest, feed.writer, undefined, feed.drops);
      }
    }
    // Recorded last: a crash before this replays the refresh, which activates the export again.
    if (feed.activating) await this.store.saveExportState(config.exportId, { ...feed.state, activated: true });
    await feed.writer.finish();
    await this.runs.report({ runId: feed.runId, exportId: config.exportId, trigger: 'refresh', state: 'succeeded', counts: { ...feed.writer.counts, invalid: feed.drops.total, invalidByReason: feed.drops.byReason, failed: 0 } });
  }

  // --- on-demand full sync --------------------------------------------------------------------

  private async fullSync(request: RunRequest): Promise<void> {
    const config = await this.runnable(request, 'on-demand');
    if (!config) return;
    const state = (await this.store.exportState(config.exportId))!;
    await this.store.saveExportState(config.exportId, { ...state, activated: true });
    await this.runs.report({ runId: request.runId, exportId: config.exportId, trigger: 'on-demand', state: 'running', counts: zero() });
    const { audiences } = streamOf(config);
    const run = { runId: request.runId, trigger: 'on-demand' as const, audiences: audiences.length, fills: true };
    // The whole sync runs inside one run-request message: if interrupted it is redelivered and
    // starts over, so the sent state may be written ahead of the output here.
    const writer = this.writer('full-sync', run);
    // Removals, and audiences a replace must not touch: those other exports also feed (a replace
    // would drop their members), and those the sync has no rows for when the destination's replace
    // cannot be empty (stream parts: emptyReplace).
    const deltas = this.writer('delta', run);
    const { emptyReplace } = streamParts(config.destination.type);
    const drops = new Drops();
    for (const audience of audiences) {
      const ref = this.refOf(config, audience);
      const shared = (await this.sharers(config, audience)).length > 0;
      const out = shared ? deltas : writer;
      if (shared || emptyReplace) out.touch(ref);
      let rows = 0;
      for await (const members of this.memberRows(config, audience, drops)) {
        // A member without a row keeps its sent entry for now: the replace drops it (dropSentExcept) or a removal takes it.
        const entries: SentUpdate[] = [];
        // Without a replace, a member's changed row must go explicitly: once its entry is overwritten, nothing remembers it.
        const changed = new Map<string, { profiles: Set<string>; columns: Columns }>();
        for (const { profileId, current, wanted } of members) {
          if (!wanted.entry) continue;
          rows += 1;
          entries.push({ profileId, entry: wanted.entry, previous: current });
          if (shared && current && current.row !== wanted.entry.row) changed.set(current.row, { profiles: new Set([...(changed.get(current.row)?.profiles ?? []), profileId]), columns: current.columns });
          await out.add(ref, { op: 'add', profileId, columns: wanted.entry.columns, dropped: wanted.dropped ?? [] });
        }
        const arriving = new Set(entries.map((e) => e.entry!.row));
        for (const [, { profiles, columns }] of await this.leavingRows(config, audience, changed, arriving)) await out.add(ref, { op: 'remove', profileId: [...profiles][0], columns });
        await out.flush();
        await this.store.saveSent(config.exportId, audience.audienceKey, entries, request.runId);
      }
      if (!shared && (rows > 0 || emptyReplace)) {
        // The destination's replace drops everyone not in the sync; the sent state follows.
        await this.store.dropSentExcept(config.exportId, audience.audienceKey, request.runId);
        continue;
      }
      // Without a replace, what this export sent for profiles no longer in it (or without a row) is
      // removed one by one, unless another export feeding the audience holds the row.
      deltas.touch(ref);
      for await (const ids of this.store.sentProfiles(config.exportId, audience.audienceKey, this.chunk)) await this.reconcile(config, audience, ids, deltas);
    }
    await writer.finish();
    await deltas.finish();
    const counts = { sent: writer.counts.sent + deltas.counts.sent, removed: writer.counts.removed + deltas.counts.removed, invalid: drops.total, invalidByReason: drops.byReason, failed: 0 };
    await this.runs.report({ runId: request.runId, exportId: config.exportId, trigger: 'on-demand', state: 'succeeded', counts });
  }

  /**
   * What fullSync would do, worked out from the same members and rows, without sending a change or
   * writing any state: the run reports it (`dryRun`) with zero counts.
   */
  private async dryRun(request: RunRequest): Promise<void> {
    const config = await this.runnable(request, 'dry-run');
    if (!config) return;
    await this.runs.report({ runId: request.runId, exportId: config.exportId, trigger: 'dry-run', state: 'running', counts: zero() });
    const drops = new Drops();
    const tally = new DryRunTally();
    for (const audience of streamOf(config).audiences) {
      // Rows sent for profiles that would no longer hold them, found first so the member pass can
      // tell which a member takes up. As many as the sync would change, not as the audience holds.
      const leaving = new Map<string, { profiles: Set<string> }>();
      for await (const ids of this.store.sentProfiles(config.exportId, audience.audienceKey, this.chunk)) {
        for (const { profileId, current, wanted } of await this.wantedRows(config, audience, ids)) {
          if (!current || current.row === wanted.entry?.row) continue;
          const entry = leaving.get(current.row) ?? { profiles: new Set<string>() };
          entry.profiles.add(profileId);
          leaving.set(current.row, entry);
        }
      }
      const arriving = new Set<string>();
      for await (const members of this.memberRows(config, audience, drops)) {
        for (const member of members) {
          const row = member.wanted.entry?.row;
          if (tally.member(audience.audienceKey, member) === 'add' && leaving.has(row!)) arriving.add(row!);
        }
      }
      tally.removed(audience.audienceKey, (await this.leavingRows(config, audience, leaving, arriving)).map(([row]) => row));
    }
    await this.runs.report({ runId: request.runId, exportId: config.exportId, trigger: 'dry-run', state: 'succeeded', counts: zero(), dryRun: tally.result(drops) });
  }

  /**
   * The members of one audience a chunk at a time, each with what the audience was sent for it and
   * the row it should hold; members without a usable row are counted in `drops`. What a full sync
   * sends, and what a dry run counts.
   */
  private async *memberRows(config: ExportConfig, audience: AudienceOf, drops: Drops): AsyncIterable<WantedRow[]> {
    const { rules } = streamOf(config);
    for await (const ids of this.store.currentMembers(audience.segmentIds, this.chunk)) {
      const [profiles, sent] = await Promise.all([this.store.profiles(ids), this.store.sent(config.exportId, audience.audienceKey, ids)]);
      yield ids.map((profileId) => {
        const current = sent.get(profileId);
        const wanted = desiredRow(rules, profiles.get(profileId)?.attributes, current);
        if (wanted.drop) drops.add(wanted.drop);
        return { profileId, current, wanted };
      });
    }
  }

  /** The export a run request names, if it still exists, is not paused (a dry run may be) and is within its profile limit; otherwise the run is reported failed. */
  private async runnable(request: RunRequest, trigger: 'on-demand' | 'dry-run'): Promise<ExportConfig | undefined> {
    const config = this.configs.get(request.exportId);
    if (!config) {
      await this.runs.report({ runId: request.runId, exportId: request.exportId, trigger, state: 'failed', counts: zero(), error: `export ${request.exportId} no longer exists` });
      return undefined;
    }
    // A dry run sends nothing, so it runs while paused: it shows what the resume's full sync would do.
    if (config.paused && trigger === 'on-demand') {
      const error = `the export was paused before the run started; nothing was sent. Resume it (PATCH /exports/${config.exportId} with {"paused": false}): that starts a full sync.`;
      this.logger.log(withIds({ exportId: config.exportId, runId: request.runId }, 'the run failed: the export is paused'));
      await this.runs.report({ runId: request.runId, exportId: config.exportId, trigger, state: 'failed', counts: zero(), error });
      return undefined;
    }
    const size = await this.store.countMembers(config.segments.map((s) => s.id));
    if (size > config.maxProfiles) {
      await this.failRun(config, request.runId, trigger, size);
      return undefined;
    }
    return config;
  }

  private async failRun(config: ExportConfig, runId: string, trigger: 'refresh' | 'on-demand' | 'dry-run', size: number): Promise<void> {
    const limit = config.maxProfiles.toLocaleString('en-US');
    const destination = destinations[config.destination.type].registry.label;
    const error = `the export has ${size.toLocaleString('en-US')} profiles, more than the ${limit} a ${destination} export may hold; nothing was sent${trigger === 'dry-run' ? ', and a full sync would fail the same way' : ''}. Narrow its segments or split it into several exports.`;
    this.logger.warn(withIds({ exportId: config.exportId, runId }, 'the run failed: over the profile limit'));
    await this.runs.report({ runId, exportId: config.exportId, trigger, state: 'failed', counts: zero(), error });
  }

  private refOf(config: ExportConfig, audience: AudienceOf): AudienceRef {
    const d = config.destination;
    return {
      exportId: config.exportId,
      exportVersion: config.version,
      connectionId: config.connectionId,
      destination: d.type,
      audienceKey: audience.audienceKey,
      ...(audience.audienceName ? { audienceName: audience.audienceName } : {}),
      ...streamParts(d.type).refDetails(d),
    };
  }
}

function zero() {
  return { sent: 0, removed: 0, invalid: 0, failed: 0 };
}

/** Attributes merge: given fields replace, null clears a field, absent fields stay. */
function mergeAttributes(current: HashedAttributes | undefined, update: HashedAttributes): HashedAttributes {
  const merged: HashedAttributes = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(item);
  }
  return out;
}

function dedupeLast<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [key(i), i])).values()];
}
