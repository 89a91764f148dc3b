import { HashedAttributes } from '@audience-sync/contracts';
import { DropReason, rowOf } from '@audience-sync/destinations';
import { identityOf } from '@audience-sync/identifiers';
import { SentEntry } from './state-store';

export interface Wanted {
  /** What the audience should hold for the profile; null: nothing. */
  entry: SentEntry | null;
  /** Why a member gets no row, for the run's invalid count. */
  drop?: string;
  /** Reasons of single values left out of the row (e.g. a malformed phone beside a good email). */
  dropped?: string[];
}

/**
 * The row a member of an audience should have, from its hashed attributes by the export's rules.
 * When a mapped attribute was hashed before the export applied its rule to it, the value is not
 * known here: what was sent stays until the profile's attributes arrive again.
 */
export function desiredRow(rules: readonly [string, string][], attributes: HashedAttributes | undefined, current: SentEntry | undefined): Wanted {
  const lookup = rowOf(rules, attributes);
  if (lookup.state === 'row') return { entry: { row: identityOf(lookup.columns), columns: lookup.columns }, dropped: lookup.dropped };
  if (lookup.state === 'none') return { entry: null, drop: lookup.reason };
  return current ? { entry: current } : { entry: null, drop: DropReason.awaitingValues };
}

/** One profile of an audience: what the audience was sent for it, and what it should hold now. */
export interface WantedRow {
  profileId: string;
  current: SentEntry | undefined;
  wanted: Wanted;
}
