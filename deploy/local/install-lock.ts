import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from './process';

/**
 * Runs `install` while holding `<target>.lock`, so two starts (two terminals, a test run beside
 * `npm start`) never install into the same cache directory at once; the one that waits then
 * finds the finished install. A lock whose holder has died is taken over.
 */
export async function withInstallLock<T>(target: string, what: string, say: (line: string) => void, install: () => Promise<T>): Promise<T> {
  const lock = `${target}.lock`;
  let waiting = false;
  for (;;) {
    // The lock appears by rename, already holding its owner's pid: never half-made.
    const candidate = mkdtempSync(`${lock}.new-`);
    writeFileSync(join(candidate, 'pid'), String(process.pid));
    try {
      renameSync(candidate, lock);
      break;
    } catch (error) {
      rmSync(candidate, { recursive: true, force: true });
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    const holder = lockHolder(lock);
    if (holder !== undefined && !isRunning(holder)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!waiting) say(`waiting for another process (pid ${holder ?? '?'}) that is installing ${what}`);
    waiting = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    return await install();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockHolder(lock: string): number | undefined {
  try {
    return Number(readFileSync(join(lock, 'pid'), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}
