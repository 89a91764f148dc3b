import { ChangeBatch } from '../../services/segment-streamer/src/engine/change-writer';

/**
 * Destination audiences by their own id (not by export), so exports feeding one audience meet
 * there as they do at the platform: adds and removes in order, a full sync replacing the audience.
 * Rows are the EMAIL column.
 */
export class DestinationAudiences {
  readonly audiences = new Map<string, Set<string>>();
  private readonly replacing = new Map<string, Set<string>>();
  /** `<exportId>:<mode>` of each batch, in order. */
  readonly modes: string[] = [];

  apply(batch: ChangeBatch): void {
    const id = batch.audience.audienceKey;
    const rows = (op: 'add' | 'remove') => batch.changes.filter((c) => c.op === op).map((c) => c.columns.EMAIL);
    this.modes.push(`${batch.audience.exportId}:${batch.mode.kind}`);
    if (batch.mode.kind === 'full-sync') {
      if (batch.mode.seq === 1) this.replacing.set(id, new Set());
      for (const row of rows('add')) this.replacing.get(id)!.add(row);
      if (batch.mode.last) this.audiences.set(id, this.replacing.get(id)!);
      return;
    }
    const members = this.audiences.get(id) ?? new Set<string>();
    this.audiences.set(id, members);
    for (const row of rows('remove')) members.delete(row);
    for (const row of rows('add')) members.add(row);
  }

  members(id: string): string[] {
    return [...(this.audiences.get(id) ?? [])].sort();
  }
}
