import { AudienceRef, FacebookChangeBatch, MicrosoftChangeBatch } from '@audience-sync/contracts';
import { rowText } from './oracle';

/** A batch no sink would accept: a full sync's batches out of order, or one of another run mixed in. */
export class ProtocolError extends Error {}

/** A destination audience by its own identity, as the platforms know it (not by export). */
export function destinationAudience(ref: Pick<AudienceRef, 'destination' | 'audienceKey'>): string {
  return `${ref.destination}:${ref.audienceKey}`;
}

/**
 * What the destinations hold after the streamer's messages to the sinks and an ideal sink: rows added and removed in order, a full sync
 * staged from `seq` 1 in order and replacing the audience when its `last` batch arrives (Meta's
 * replace session, Microsoft's Replace then Add). Like the real sinks, it sends nothing to an
 * audience the export's current configuration no longer feeds.
 */
export class DestinationModel {
  readonly audiences = new Map<string, Set<string>>();
  private readonly sessions = new Map<string, { runId: string; seq: number; rows: Set<string> }>();
  /** The longest full sync seen, in batches: the property test checks that some spanned several. */
  longestFullSync = 0;

  constructor(private readonly feeds: (audience: AudienceRef) => boolean) {}

  apply(batch: FacebookChangeBatch | MicrosoftChangeBatch): void {
    if (!this.feeds(batch.audience)) return;
    const id = destinationAudience(batch.audience);
    const { adds, removes } = hashed(batch);
    if (batch.mode.kind === 'full-sync') {
      const { runId, seq, last } = batch.mode;
      // A full sync interrupted by a crash starts over at 1 when its run request is redelivered.
      if (seq === 1) this.sessions.set(id, { runId, seq: 0, rows: new Set() });
      const session = this.sessions.get(id);
      if (!session || session.runId !== runId || seq !== session.seq + 1) throw new ProtocolError(`full sync ${runId} of ${id}: batch ${seq} after ${session ? `${session.runId} batch ${session.seq}` : 'none'}`);
      session.seq = seq;
      this.longestFullSync = Math.max(this.longestFullSync, seq);
      for (const row of adds) session.rows.add(row);
      if (last) {
        this.audiences.set(id, session.rows);
        this.sessions.delete(id);
      }
      return;
    }
    const members = this.audiences.get(id) ?? new Set<string>();
    this.audiences.set(id, members);
    for (const row of removes) members.delete(row);
    for (const row of adds) members.add(row);
  }

  /** Full syncs begun and never ended with a `last` batch: the audience was never replaced. */
  unfinishedFullSyncs(): string[] {
    return [...this.sessions].map(([id, s]) => `${id} (${s.runId}, ${s.seq} batches)`);
  }
}

function hashed(batch: FacebookChangeBatch | MicrosoftChangeBatch): { adds: string[]; removes: string[] } {
  if (!('schema' in batch)) return batch;
  const text = (row: string[]) => rowText(Object.fromEntries(batch.schema.map((column, i) => [column, row[i]])));
  return { adds: batch.adds.map(text), removes: batch.removes.map(text) };
}
