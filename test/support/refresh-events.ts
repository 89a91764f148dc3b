import { SegmentEvent } from '@audience-sync/contracts';
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Output } from '../../services/segment-streamer/src/engine/change-writer';
import { LevelStore } from '../../services/segment-streamer/src/engine/level-store';
import { MemoryStore } from '../../services/segment-streamer/src/engine/memory-store';
import { StateStore } from '../../services/segment-streamer/src/engine/state-store';

/** Fixtures of the engine's refresh specs: members p<i> with the email p<i>@example.com. */
export const emailDigest = (value: string) => hash('sha256', value, 'base64url');
export const secondsAfterNovember = (s: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + s * 1000).toISOString();
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
export const refreshPart = (segmentId: string, refreshId: string, part: number, final: boolean, ids: number[], s: number): SegmentEvent => ({
  type: 'refresh', eventId: `${refreshId}-${part}`, occurredAt: secondsAfterNovember(s), segmentId, segmentName: segmentId, refreshId, part, final,
  members: ids.map((i) => ({ profileId: `p${i}`, attributes: { Email: `p${i}@example.com` } })),
});

/** An engine output that keeps a Facebook audience's email digests in `audience`. */
export const emailAudience = (audience: Set<string>): Output => ({
  send: async (batches) => batches.forEach((b) => b.changes.forEach((c) => (c.op === 'add' ? audience.add(c.columns.EMAIL) : audience.delete(c.columns.EMAIL)))),
});

/** A memory store, or a LevelDB one in a fresh directory; `close` removes it. */
export async function openStore(kind: string, prefix: string): Promise<{ store: StateStore; close: () => Promise<void> }> {
  if (kind !== 'level') return { store: new MemoryStore(), close: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = new LevelStore(dir);
  await store.open();
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
