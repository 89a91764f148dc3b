import { AudienceRef, ExportConfig, FacebookChangeBatch, HashedAttributes, HashingCounts, MicrosoftChangeBatch, TopicSpec } from '@audience-sync/contracts';
import { readHashed, ruleOutput } from '@audience-sync/identifiers';
import { DestinationId } from './destination';

/** An export's settings for destination D, as the export-config message carries them. */
export type SettingsOf<D extends DestinationId> = Extract<ExportConfig['destination'], { type: D }>;

/** One destination audience an export feeds, and the segments that feed it. */
export interface AudienceOf {
  audienceKey: string;
  audienceName?: string;
  segmentIds: string[];
}

/** A row's digests by column (e.g. EMAIL, PHONE, DOBY); columns without a value are absent. */
export type Columns = Record<string, string>;

/** A batch of rows for one audience, before it takes the shape of its destination's changes topic. */
export interface RowBatch {
  batchId: string;
  audience: AudienceRef;
  mode: FacebookChangeBatch['mode'];
  run?: FacebookChangeBatch['run'];
  adds: Columns[];
  removes: Columns[];
  counts: HashingCounts;
}

/** What the hasher and the streamer need to know about a destination. */
export interface StreamParts<D extends DestinationId> {
  /** The identifier rules (rule names of libs/identifiers) the export applies, each to an attribute. */
  identifierRules(settings: SettingsOf<D>): [rule: string, attribute: string][];
  /** The audiences the export feeds: Facebook one for all its segments, Microsoft one per segment. */
  audiences(config: ExportConfig & { destination: SettingsOf<D> }): AudienceOf[];
  /** The audience's identity at the destination, which several exports may feed. */
  destinationAudience(settings: SettingsOf<D>, audience: AudienceOf): string;
  /** Changes when the export moves to other destination audiences (what was sent then no longer counts). */
  audienceFingerprint(settings: SettingsOf<D>): string;
  /** What the sink needs beyond the export and audience keys. */
  refDetails(settings: SettingsOf<D>): Partial<AudienceRef>;
  changesTopic: TopicSpec;
  /**
   * The destination's replace may carry no rows and then empties the audience. Without it, a
   * full sync that has no rows for an audience removes what was sent instead.
   */
  emptyReplace: boolean;
  /** The batch as its changes topic carries it. */
  message(batch: RowBatch): FacebookChangeBatch | MicrosoftChangeBatch;
}

/** Why a member of an audience was not sent: the reasons a run reports beside its invalid count. */
export const DropReason = {
  /** None of the attributes the export maps holds a value. */
  noIdentifier: 'no-mapped-identifier',
  /** Values are there, but none survives the destination's normalisation (e.g. a malformed email). */
  unusable: 'unusable-identifier',
  /**
   * A mapped attribute holds a value the hasher did not hash by the export's rule: the mapping
   * changed since the value arrived. It takes effect when the profile's attributes come again
   * (the segment's next refresh, or a profile event); until then what was sent stays.
   */
  awaitingValues: 'identifier-awaiting-values',
} as const;

export type RowLookup =
  | { state: 'row'; columns: Columns; dropped: string[] }
  | { state: 'none'; reason: string; dropped: string[] }
  | { state: 'unknown' };

/** The row an export's rules make of a profile's hashed attributes. */
export function rowOf(rules: readonly [string, string][], attributes: HashedAttributes | undefined): RowLookup {
  const columns: Columns = {};
  const dropped: string[] = [];
  let present = 0;
  let filled = 0;
  for (const [rule, attribute] of rules) {
    const value = attributes?.[attribute];
    if (value === undefined || value === null) continue;
    present += 1;
    const output = ruleOutput(value, rule);
    if (output === undefined) return { state: 'unknown' };
    const read = readHashed(rule, output);
    if ('dropped' in read) dropped.push(read.dropped);
    else {
      Object.assign(columns, read.columns);
      filled += 1;
    }
  }
  if (filled > 0) return { state: 'row', columns, dropped };
  return { state: 'none', reason: present === 0 ? DropReason.noIdentifier : DropReason.unusable, dropped };
}

/** Lays a row out in the destination's column order; empty where it has no value. */
export function layout(columns: readonly string[], row: Columns): string[] {
  return columns.map((c) => row[c] ?? '');
}
