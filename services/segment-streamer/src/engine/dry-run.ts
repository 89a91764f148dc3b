import { DryRunResult, DryRunSample } from '@audience-sync/contracts';
import { Drops } from './drops';
import { WantedRow } from './rows';

/** Rows named per kind: enough to recognise a few in the sink's logs or the destination, no more. */
const SAMPLES = 5;
/** Characters of a row's identity a sample keeps: a digest of digests, cut short so it names no value. */
const SAMPLE_CHARS = 12;

/** What a dry run counts as it walks an export's audiences: members that would be added or kept, rows that would leave, a few of each. */
export class DryRunTally {
  private wouldAdd = 0;
  private wouldKeep = 0;
  private wouldRemove = 0;
  private readonly samples: DryRunResult['samples'] = { add: [], remove: [] };

  /** A member with a row is kept when it is the row it was sent, and added otherwise; a member without one is a drop (Drops). */
  member(audienceKey: string, { current, wanted }: WantedRow): 'add' | 'keep' | undefined {
    if (!wanted.entry) return undefined;
    if (wanted.entry.row === current?.row) {
      this.wouldKeep += 1;
      return 'keep';
    }
    this.wouldAdd += 1;
    this.sample(this.samples.add, audienceKey, wanted.entry.row);
    return 'add';
  }

  removed(audienceKey: string, rows: string[]): void {
    this.wouldRemove += rows.length;
    for (const row of rows) this.sample(this.samples.remove, audienceKey, row);
  }

  result(drops: Drops): DryRunResult {
    return { wouldAdd: this.wouldAdd, wouldRemove: this.wouldRemove, wouldKeep: this.wouldKeep, invalid: drops.total, invalidByReason: { ...drops.byReason }, samples: this.samples };
  }

  private sample(into: DryRunSample[], audienceKey: string, row: string): void {
    if (into.length < SAMPLES) into.push({ audienceKey, row: row.slice(0, SAMPLE_CHARS) });
  }
}
