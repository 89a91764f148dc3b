import { HashedAttributes, HashedRefreshMember } from '@audience-sync/contracts';
import { Columns } from '@audience-sync/destinations';

/** A profile's membership in one segment, with the event time that decided it. */
export interface Membership {
  segmentId: string;
  profileId: string;
  member: boolean;
  /** Event time (ms) of the change that set `member`. */
  t: number;
  /** The last refresh that listed this profile. */
  refreshId?: string;
  /**
   * Event time of the latest refresh listing here that carried the profile's attributes. A listing
   * that changes none of them does not rewrite the profile, so this is also the attributes' time.
   */
  attributesAt?: number;
}

export interface ProfileState {
  profileId: string;
  /** Digests only: the hasher's output per attribute (see HashedValue). */
  attributes: HashedAttributes;
  t: number;
}

/** A staged part's number, finality, partition count and size (`members` is missing for parts staged by an older version). */
export type PartInfo = Pick<StagedPart, 'part' | 'final' | 'partitions'> & { members?: number };

export interface StagedRefresh {
  refreshId: string;
  segmentId: string;
  t: number;
  /** When its latest part arrived, by the streamer's clock (missing when all were staged by an older version). */
  lastStagedAt?: number;
  slices: (Pick<StagedPart, 'part' | 'partitions'> & { arrival?: number })[];
}

export interface StagedPart {
  refreshId: string;
  segmentId: string;
  part: number;
  final: boolean;
  /** The partition count the slice was cut for (refreshSliceNumber); missing: numbered 1…n. */
  partitions?: number;
  t: number;
  /** When it arrived, by the streamer's clock (missing for parts staged by an older version). */
  stagedAt?: number;
  members: HashedRefreshMember[];
}

/** What an audience was sent for a profile: the row's digests by column, and the row's identity. */
export interface SentEntry {
  columns: Columns;
  row: string;
}

/** A sent entry to write (null removes it), with what `sent()` returned for the profile before. */
export interface SentUpdate {
  profileId: string;
  entry: SentEntry | null;
  previous: SentEntry | undefined;
}

export interface ExportState {
  activated: boolean;
  /** What the sent state was computed for; a change asks for reconciliation. */
  fingerprint: string;
  audienceFingerprint: string;
}

/**
 * The order in which stores return ids: by code point, which is LevelDB's byte order for UTF-8
 * keys. JavaScript's `<` compares UTF-16 units and puts '😀' (a surrogate pair) before '\uFFFD'.
 */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800–DFFF) above U+E000–FFFF, as the code points they encode are. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * The streamer's durable state. Implementations: LevelDB (the service) and memory (tests).
 * Every method works on chunks so a 10-million-member segment never sits in memory at once.
 */
export interface StateStore {
  memberships(segmentId: string, profileIds: string[]): Promise<Map<string, Membership>>;
  membershipsOfProfiles(profileIds: string[], segmentIds: string[]): Promise<Membership[]>;
  saveMemberships(items: Membership[]): Promise<void>;
  /** Members of a segment that a complete refresh did not list and that are older than it. */
  staleMembers(segmentId: string, refreshId: string, before: number, chunk: number): AsyncIterable<Membership[]>;
  /** Every profile with a membership record in the segment, member or not. */
  segmentProfiles(segmentId: string, chunk: number): AsyncIterable<string[]>;
  /** Distinct current members of any of the segments, in profile id order (compareIds). */
  currentMembers(segmentIds: string[], chunk: number): AsyncIterable<string[]>;
  countMembers(segmentIds: string[]): Promise<number>;
  /** Members of the segment whose record is at least as recent as `since`. */
  countRecentMembers(segmentId: string, since: number): Promise<number>;

  /**
   * Deletes the segment's records of profiles out of it since before `before` (its latest complete
   * refresh, which says as much), yielding them a chunk at a time; a chunk is deleted only when the
   * next is asked for, so what the caller keeps of them is written first.
   */
  dropOutBefore(segmentId: string, before: number, chunk: number): AsyncIterable<Membership[]>;
  /** Every segment with a membership record, member or not. */
  segments(): Promise<string[]>;

  profiles(profileIds: string[]): Promise<Map<string, ProfileState>>;
  saveProfiles(items: ProfileState[]): Promise<void>;
  /** Forgets the profiles' attributes (purge and erasure). */
  dropProfiles(profileIds: string[]): Promise<void>;

  sent(exportId: string, audienceKey: string, profileIds: string[]): Promise<Map<string, SentEntry>>;
  /** `tag` marks entries written by a full sync. */
  saveSent(exportId: string, audienceKey: string, updates: SentUpdate[], tag?: string): Promise<void>;
  /** Which profiles of the audience were sent each of these rows. */
  rowHolders(exportId: string, audienceKey: string, rows: string[]): Promise<Map<string, string[]>>;
  sentProfiles(exportId: string, audienceKey: string, chunk: number): AsyncIterable<string[]>;
  /** Drops an audience's sent entries not written with `tag` (what a replace removed). */
  dropSentExcept(exportId: string, audienceKey: string, tag: string): Promise<void>;
  dropSent(exportId: string): Promise<void>;
  sentAudiences(exportId: string): Promise<string[]>;

  stagePart(part: StagedPart): Promise<void>;
  /** The staged parts' numbers and sizes (`members` is missing for parts staged by an older version). */
  stagedParts(refreshId: string): Promise<PartInfo[]>;
  stagedMembers(refreshId: string): AsyncIterable<StagedPart>;
  dropStaged(refreshId: string): Promise<void>;
  /**
   * The segment's refreshes with parts staged (every segment's when none is named), each slice with
   * the order it arrived in (missing for slices staged by an older version).
   */
  stagedRefreshes(segmentId?: string): Promise<StagedRefresh[]>;

  /** Time of the segment's latest complete refresh: everyone it did not list is out as of then. */
  refreshedAt(segmentId: string): Promise<number | undefined>;
  saveRefreshedAt(segmentId: string, t: number): Promise<void>;
  /** The latest `attributesAt` ever written: an event at or after it is newer than every listing. */
  latestListing(): Promise<number | undefined>;
  saveLatestListing(t: number): Promise<void>;

  exportState(exportId: string): Promise<ExportState | undefined>;
  saveExportState(exportId: string, state: ExportState | null): Promise<void>;
}
