import { HashingCounts, TopicSpec } from '@audience-sync/contracts';
import { streamParts } from '@audience-sync/destinations';
import { ChangeBatch } from './change-writer';

/** Change batches as their destinations' changes topics carry them, by topic, in order. */
export function destinationMessages(batches: ChangeBatch[]): Map<TopicSpec, { key: string; value: unknown }[]> {
  const out = new Map<TopicSpec, { key: string; value: unknown }[]>();
  for (const batch of batches) {
    const parts = streamParts(batch.audience.destination);
    const counts: HashingCounts = { droppedValues: {}, rejectedRows: 0 };
    for (const change of batch.changes) for (const reason of change.dropped ?? []) counts.droppedValues[reason] = (counts.droppedValues[reason] ?? 0) + 1;
    const value = parts.message({
      batchId: batch.batchId,
      audience: batch.audience,
      mode: batch.mode,
      ...(batch.run ? { run: batch.run } : {}),
      adds: batch.changes.filter((c) => c.op === 'add').map((c) => c.columns),
      removes: batch.changes.filter((c) => c.op === 'remove').map((c) => c.columns),
      counts,
    });
    const messages = out.get(parts.changesTopic) ?? [];
    messages.push({ key: `${batch.audience.exportId}/${batch.audience.audienceKey}`, value });
    out.set(parts.changesTopic, messages);
  }
  return out;
}
