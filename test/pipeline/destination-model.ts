import { AudienceChangeBatch } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';

/**
 * What the destinations hold after the hasher and an ideal sink: rows added and removed in order,
 * a full sync replacing the audience when its last batch arrives.
 */
export class DestinationModel {
  readonly audiences = new Map<string, Set<string>>();
  private readonly replacing = new Map<string, Set<string>>();

  apply(batch: AudienceChangeBatch): void {
    const id = `${batch.audience.exportId}/${batch.audience.audienceKey}`;
    const { adds, removes } =
      batch.audience.destination === 'facebook-ads'
        ? (() => {
            const r = facebookRows(batch.audience.facebookKeys ?? ['EMAIL'], batch.changes);
            return { adds: r.adds.map((row) => row.join('|')), removes: r.removes.map((row) => row.join('|')) };
          })()
        : microsoftEmails(batch.changes);
    if (batch.mode.kind === 'full-sync') {
      if (batch.mode.seq === 1) this.replacing.set(id, new Set());
      const staged = this.replacing.get(id)!;
      for (const a of adds) staged.add(a);
      if (batch.mode.last) {
        this.audiences.set(id, staged);
        this.replacing.delete(id);
      }
      return;
    }
    const members = this.audiences.get(id) ?? new Set<string>();
    this.audiences.set(id, members);
    for (const r of removes) members.delete(r);
    for (const a of adds) members.add(a);
  }
}
