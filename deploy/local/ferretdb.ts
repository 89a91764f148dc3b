import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, projectRoot } from './paths';
import { withInstallLock } from './install-lock';
import { Launcher, RunningProcess, runToCompletion, startManaged, waitForPort } from './process';

export const FERRETDB_VERSION = '1.24.2';

export interface LocalFerretDb {
  uri: (database: string) => string;
  process: RunningProcess;
}

/**
 * Builds the project's FerretDB launcher (deploy/local/ferretdb) with Go into the cache, once.
 * The first build compiles a pure-Go SQLite and takes minutes; Go's build cache makes later
 * builds quick, and the finished binary is reused as it is.
 */
export async function installFerretDb(say: (line: string) => void): Promise<string> {
  const dir = join(cacheDir(), `ferretdb-${FERRETDB_VERSION}`);
  const binary = join(dir, 'ferretdb');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  return withInstallLock(dir, `FerretDB ${FERRETDB_VERSION}`, say, async () => {
    if (existsSync(binary)) return binary;
    say(`building FerretDB ${FERRETDB_VERSION} with Go into ${binary} (first time only; a few minutes)`);
    const started = Date.now();
    const ticker = setInterval(() => say(`  ferretdb: still building (${Math.round((Date.now() - started) / 1000)} s)`), 15000);
    const staging = `${binary}.partial-${process.pid}`;
    let packages = 0;
    try {
      await runToCompletion('go', ['build', '-v', '-o', staging, '.'], {
        cwd: join(projectRoot(), 'deploy', 'local', 'ferretdb'),
        env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
        progress: () => {
          packages += 1;
          if (packages % 50 === 0) say(`  ferretdb: ${packages} packages compiled`);
        },
      });
    } finally {
      clearInterval(ticker);
    }
    renameSync(staging, binary);
    say(`  ferretdb: built in ${Math.round((Date.now() - started) / 1000)} s`);
    return binary;
  });
}

/** `launch` runs the server: startManaged by default, a restarting supervisor for the stack. */
export async function startFerretDb(binary: string, options: { port: number; dataDir: string; logFile: string }, launch: Launcher = startManaged): Promise<LocalFerretDb> {
  mkdirSync(options.dataDir, { recursive: true });
  const proc = launch('ferretdb', binary, ['-listen', `127.0.0.1:${options.port}`, '-dir', options.dataDir], options.logFile);
  await waitForPort('127.0.0.1', options.port, 30000, () => proc.alive());
  return { uri: (database) => `mongodb://127.0.0.1:${options.port}/${database}`, process: proc };
}
