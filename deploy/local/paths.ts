import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** Per-user cache for what the project installs, so a second start takes seconds. */
export function cacheDir(): string {
  const base = process.env.AUDIENCE_SYNC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'audience-sync');
  return resolve(base);
}

/** The repository root, whether running from source (ts) or from dist/. */
export function projectRoot(): string {
  const root = resolve(__dirname, '..', '..');
  return basename(root) === 'dist' ? resolve(root, '..') : root;
}
