import { randomUUID } from 'node:crypto';
import { AudienceRef, DeliveryMode, RunContext } from '@audience-sync/contracts';
import { Columns } from '@audience-sync/destinations';

/** One audience change: a row to add or remove, by its digests. */
export interface RowChange {
  op: 'add' | 'remove';
  profileId: string;
  columns: Columns;
  /** Reasons of values left out of the row, counted with the batch. */
  dropped?: string[];
}

/** Changes for one audience, in order; the output gives them their destination's shape. */
export interface ChangeBatch {
  batchId: string;
  audience: AudienceRef;
  mode: DeliveryMode;
  run?: RunContext;
  changes: RowChange[];
}

export const BATCH_SIZE = 5000;

/**
 * A batch is also cut at about this many bytes of JSON: rows of many keys (MADID and EXTERN_ID
 * travel as the upstream gave them) could otherwise make a 5,000-change batch larger than a Kafka
 * message may be (16 MiB), and the partition would stop.
 */
export const BATCH_BYTES = 4 * 1024 * 1024;

/** A change's JSON size, closely enough: its values plus the fixed punctuation and field names. */
function changeBytes(change: RowChange): number {
  let n = 48 + change.profileId.length;
  for (const key in change.columns) n += key.length + change.columns[key].length + 6;
  return n;
}

interface Pending {
  ref: AudienceRef;
  changes: RowChange[];
  bytes: number;
  seq: number;
}

export interface Output {
  send(batches: ChangeBatch[]): Promise<void>;
}

/**
 * Collects changes per audience into batches of at most `batchSize` changes (BATCH_SIZE unless a
 * test asks for smaller ones, to make a few profiles span several batches) and about BATCH_BYTES,
 * and hands them to the output in order. A run's last batch per audience is marked (sent even when empty) so the sink knows the
 * run ended there.
 */
export class ChangeWriter {
  private readonly pending = new Map<string, Pending>();
  private readonly ready: ChangeBatch[] = [];

  constructor(
    private readonly output: Output,
    private readonly mode: 'delta' | 'full-sync',
    private readonly run?: Omit<RunContext, 'last'>,
    private readonly batchSize = BATCH_SIZE,
  ) {}

  readonly counts = { sent: 0, removed: 0 };

  async add(ref: AudienceRef, change: RowChange): Promise<void> {
    const id = `${ref.exportId}/${ref.audienceKey}`;
    let entry = this.pending.get(id);
    if (!entry) {
      entry = { ref, changes: [], bytes: 0, seq: 0 };
      this.pending.set(id, entry);
    }
    entry.changes.push(change);
    entry.bytes += changeBytes(change);
    if (change.op === 'add') this.counts.sent += 1;
    else this.counts.removed += 1;
    if (entry.changes.length >= this.batchSize || entry.bytes >= BATCH_BYTES) this.cut(entry, false);
    if (this.ready.length >= 20) await this.drain(this.mode === 'full-sync');
  }

  /** Opens an audience for the run even if nothing is written to it (it still gets its last batch). */
  touch(ref: AudienceRef): void {
    const id = `${ref.exportId}/${ref.audienceKey}`;
    if (!this.pending.has(id)) this.pending.set(id, { ref, changes: [], bytes: 0, seq: 0 });
  }

  /**
   * Hands everything written so far to the output. Called before the state records what was
   * sent, so a crash can repeat a change but never lose one.
   */
  async flush(): Promise<void> {
    if (this.mode === 'full-sync') return; // a full sync replays whole if interrupted; see MembershipEngine.fullSync
    for (const entry of this.pending.values()) if (entry.changes.length > 0) this.cut(entry, false);
    await this.drain();
  }

  async finish(): Promise<void> {
    for (const entry of this.pending.values()) {
      if (this.mode === 'full-sync' && entry.changes.length === 0 && entry.seq > 0) this.markLast(entry.ref);
      else if (entry.changes.length > 0 || this.run) this.cut(entry, true);
    }
    this.pending.clear();
    await this.drain();
  }

  /** A full sync's last batch must carry rows (a replace cannot be empty): flag the one held back. */
  private markLast(ref: AudienceRef): void {
    const held = this.ready.findLast((b) => b.audience.exportId === ref.exportId && b.audience.audienceKey === ref.audienceKey);
    if (!held || held.mode.kind !== 'full-sync') throw new Error('a full sync lost its last batch');
    held.mode = { ...held.mode, last: true };
    if (held.run) held.run = { ...held.run, last: true };
  }

  private cut(entry: Pending, last: boolean): void {
    entry.seq += 1;
    const mode: DeliveryMode = this.mode === 'full-sync' && this.run ? { kind: 'full-sync', runId: this.run.runId, seq: entry.seq, last } : { kind: 'delta' };
    this.ready.push({ batchId: randomUUID(), audience: entry.ref, mode, ...(this.run ? { run: { ...this.run, last } } : {}), changes: entry.changes });
    entry.changes = [];
    entry.bytes = 0;
  }

  /** `holdLast`: a full sync keeps each audience's latest batch back, so finish can flag it last. */
  private async drain(holdLast = false): Promise<void> {
    if (this.ready.length === 0) return;
    if (!holdLast) {
      await this.output.send(this.ready.splice(0));
      return;
    }
    const lastIndex = new Map<string, number>();
    this.ready.forEach((b, i) => lastIndex.set(`${b.audience.exportId}/${b.audience.audienceKey}`, i));
    const keep = new Set(lastIndex.values());
    const out = this.ready.filter((_, i) => !keep.has(i));
    const held = this.ready.filter((_, i) => keep.has(i));
    this.ready.splice(0, this.ready.length, ...held);
    if (out.length > 0) await this.output.send(out);
  }
}
