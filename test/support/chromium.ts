import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withInstallLock } from '../../deploy/local/install-lock';
import { cacheDir } from '../../deploy/local/paths';
import { runToCompletion } from '../../deploy/local/process';

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** A chromium on PATH, or the one CHROMIUM_PATH names. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return (env.PATH ?? '').split(':').flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => join(dir, name))).find(executable);
}

/**
 * The browser the console's tests drive. Playwright's own browser downloads are not reachable on
 * these machines, so the tests use Debian's chromium package: installed here with apt when it is
 * missing and we run as root (as on CI), otherwise the error says what to install.
 */
export async function provideChromium(say: (line: string) => void = () => undefined): Promise<string> {
  const found = findChromium();
  if (found) return found;
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file; point it at a Chromium or unset it.`);
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) throw new Error("The console's browser tests need Chromium: install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable.");
  mkdirSync(cacheDir(), { recursive: true });
  return withInstallLock(join(cacheDir(), 'chromium-apt'), 'chromium', say, async () => {
    const again = findChromium();
    if (again) return again;
    say("installing Debian's chromium with apt-get (once per machine)");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runToCompletion('apt-get', ['update'], { env });
    await runToCompletion('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
    const installed = findChromium();
    if (!installed) throw new Error('apt-get installed chromium but no chromium is on PATH; set CHROMIUM_PATH to its executable.');
    return installed;
  });
}
