import { startEmulator, RunningEmulator } from './emulator-server';
import { facebookEmulator } from './facebook/emulator';
import { facebookSeedSchema } from './facebook/seed';
import { microsoftEmulator } from './microsoft/emulator';
import { microsoftSeedSchema } from './microsoft/seed';

export interface EmulatorOptions {
  facebookPort?: number;
  microsoftPort?: number;
  host?: string;
  facebookSeed?: unknown;
  microsoftSeed?: unknown;
}

export interface Emulators {
  facebook: RunningEmulator & ReturnType<typeof facebookEmulator>;
  microsoft: RunningEmulator & ReturnType<typeof microsoftEmulator>;
  close(): Promise<void>;
}

/** Starts both emulators; port 0 picks a free port (tests). */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const fb = facebookEmulator(facebookSeedSchema.parse(options.facebookSeed ?? {}));
  const ms = microsoftEmulator(microsoftSeedSchema.parse(options.microsoftSeed ?? {}));
  const [fbRunning, msRunning] = await Promise.all([
    startEmulator(fb, options.facebookPort ?? 0, options.host),
    startEmulator(ms, options.microsoftPort ?? 0, options.host),
  ]);
  return {
    facebook: Object.assign(fb, fbRunning),
    microsoft: Object.assign(ms, msRunning),
    close: async () => {
      await Promise.all([fbRunning.close(), msRunning.close()]);
    },
  };
}

function seedFrom(variable: string): unknown {
  const raw = process.env[variable];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${variable} must be JSON (see tools/emulators/README.md)`);
  }
}

if (require.main === module) {
  startEmulators({
    facebookPort: Number(process.env.FACEBOOK_EMULATOR_PORT ?? 4101),
    microsoftPort: Number(process.env.MICROSOFT_EMULATOR_PORT ?? 4102),
    host: process.env.HOST ?? '127.0.0.1',
    facebookSeed: seedFrom('FACEBOOK_EMULATOR_SEED'),
    microsoftSeed: seedFrom('MICROSOFT_EMULATOR_SEED'),
  })
    .then((emulators) => {
      process.stdout.write(`Facebook Graph API emulator     ${emulators.facebook.url}/v27.0  (inspection: ${emulators.facebook.url}/_emulator/audiences)\n`);
      process.stdout.write(`Microsoft Advertising emulator  ${emulators.microsoft.url}/CampaignManagement/v13  (inspection: ${emulators.microsoft.url}/_emulator/audiences)\n`);
      const stop = () => void emulators.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error: Error) => {
      process.stderr.write(`emulators failed to start: ${error.message}\n`);
      process.exit(1);
    });
}
