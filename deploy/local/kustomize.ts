import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './paths';
import { withInstallLock } from './install-lock';
import { runToCompletion } from './process';

/** The kustomize that kubectl 1.32 embeds, so both render deploy/kubernetes alike. */
export const KUSTOMIZE_VERSION = 'v5.5.0';

/** Builds kustomize with Go into the cache, once, for machines without kubectl (`kubectl kustomize`). */
export async function installKustomize(say: (line: string) => void): Promise<string> {
  const dir = join(cacheDir(), `kustomize-${KUSTOMIZE_VERSION}`);
  const binary = join(dir, 'kustomize');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  return withInstallLock(dir, `kustomize ${KUSTOMIZE_VERSION}`, say, async () => {
    if (existsSync(binary)) return binary;
    say(`building kustomize ${KUSTOMIZE_VERSION} with Go into ${binary} (first time only)`);
    const staging = join(dir, `bin.partial-${process.pid}`);
    try {
      await runToCompletion('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], { env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' } });
      renameSync(join(staging, 'kustomize'), binary);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return binary;
  });
}
