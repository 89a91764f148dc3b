import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitInfo } from './process';

/**
 * What `npm start` is running, kept in the data directory for `npm run status` (and tests):
 * each process's pid, restarts and last exit, and where to ask whether it is up.
 */
export interface StackState {
  /** The `npm start` process that supervises the others. */
  supervisorPid: number;
  startedAt: string;
  updatedAt: string;
  processes: ProcessState[];
}

export interface ProcessState {
  name: string;
  state: 'running' | 'restarting' | 'gave-up' | 'stopped';
  /** The command's own pid (kill -9 this one to see a restart). */
  pid?: number;
  startedAt: string;
  restarts: number;
  lastExit?: ExitInfo & { at: string };
  log: string;
  /** A readiness URL (services) or TCP addresses (host:port) that answer when it is up. */
  readyUrl?: string;
  addresses?: string[];
}

export function stackStateFile(dataDir: string): string {
  return join(dataDir, 'stack-state.json');
}

export function readStackState(dataDir: string): StackState | undefined {
  const file = stackStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

/** Written whole and renamed into place, so a reader never sees half a file. */
export function writeStackState(dataDir: string, state: StackState): void {
  const file = stackStateFile(dataDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** "exit code 1", "killed by SIGKILL", or why it could not run. */
export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not run (${exit.error})`;
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
