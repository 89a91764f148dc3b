import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { cacheDir } from './paths';
import { withInstallLock } from './install-lock';
import { runToCompletion } from './process';

const exec = promisify(execFile);

export const COMPOSE_VERSION = 'v2.40.3';
const COMPOSE_MODULE = 'github.com/docker/compose/v2';

/**
 * Builds the Docker Compose CLI with Go into the cache, once, for checking the compose files
 * (`config`) on machines without Docker's compose plugin. Built inside its own module's source:
 * `go install module@version` refuses modules whose go.mod has exclude directives, as compose's does.
 */
export async function installCompose(say: (line: string) => void): Promise<string> {
  const dir = join(cacheDir(), `docker-compose-${COMPOSE_VERSION}`);
  const binary = join(dir, 'docker-compose');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  return withInstallLock(dir, `Docker Compose ${COMPOSE_VERSION}`, say, async () => {
    if (existsSync(binary)) return binary;
    say(`building Docker Compose ${COMPOSE_VERSION} with Go into ${binary} (first time only; a few minutes)`);
    const started = Date.now();
    const { stdout } = await exec('go', ['mod', 'download', '-json', `${COMPOSE_MODULE}@${COMPOSE_VERSION}`], { maxBuffer: 1024 * 1024 });
    const source = join(dir, `src.partial-${process.pid}`);
    rmSync(source, { recursive: true, force: true });
    // The module cache is read-only; the build needs a writable copy (go.sum updates, clean-up).
    cpSync((JSON.parse(stdout) as { Dir: string }).Dir, source, { recursive: true });
    await exec('chmod', ['-R', 'u+w', source]);
    const staging = `${binary}.partial-${process.pid}`;
    const ticker = setInterval(() => say(`  compose: still building (${Math.round((Date.now() - started) / 1000)} s)`), 30000);
    try {
      await runToCompletion('go', ['build', '-trimpath', '-ldflags', `-s -w -X ${COMPOSE_MODULE}/internal.Version=${COMPOSE_VERSION}`, '-o', staging, './cmd'], {
        cwd: source,
        env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
      });
    } finally {
      clearInterval(ticker);
      rmSync(source, { recursive: true, force: true });
    }
    renameSync(staging, binary);
    say(`  compose: built in ${Math.round((Date.now() - started) / 1000)} s`);
    return binary;
  });
}

/** The variables a compose file refuses to run without (`${NAME:?message}`), each once. */
export function requiredVariables(composeFile: string): string[] {
  return [...new Set([...composeFile.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]))];
}
