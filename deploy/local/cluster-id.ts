import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A new KRaft cluster id: 16 random bytes in base64url, as Kafka makes them. Like Kafka's own
 * Uuid.randomUuid, never one that starts with '-', which command-line tools read as an option.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (usableClusterId(id)) return id;
  }
}

/** 22 base64url characters (16 bytes), not starting with '-'. */
export function usableClusterId(id: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id);
}

/**
 * The cluster id for a data directory. Formatted storage keeps the id it was formatted with (a
 * restart must present the same one). Before that, the id is kept in `cluster.id`, so a start
 * that fails before formatting retries with the same id; a saved id that the format step could
 * not use (an earlier version could save one starting with '-') is replaced.
 */
export function clusterIdFor(dataDir: string, say: (line: string) => void = () => undefined): string {
  const meta = join(dataDir, 'logs', 'meta.properties');
  const formatted = existsSync(meta) ? /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim() : undefined;
  if (formatted) return formatted;
  const file = join(dataDir, 'cluster.id');
  const saved = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (saved && usableClusterId(saved)) return saved;
  const id = newClusterId();
  if (saved) say(`replacing the unusable Kafka cluster id saved in ${file} (the storage was never formatted with it)`);
  writeFileSync(file, id);
  return id;
}
