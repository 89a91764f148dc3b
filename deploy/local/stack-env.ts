import { randomBytes } from 'node:crypto';
import { Infrastructure, withDatabase } from './infrastructure';

export interface StackEnvironment {
  values: Record<string, string>;
  /** Whether the emulators must be started because no real base URLs were configured. */
  emulators: boolean;
  describe: string[];
}

/** The environment the local stack gives every service; anything already set wins. */
export function stackEnvironment(infra: Infrastructure, env: NodeJS.ProcessEnv = process.env): StackEnvironment {
  const fbPort = env.FACEBOOK_EMULATOR_PORT ?? '4101';
  const msPort = env.MICROSOFT_EMULATOR_PORT ?? '4102';
  const emulators = !env.FACEBOOK_GRAPH_BASE_URL && !env.MICROSOFT_ADS_BASE_URL;
  const values: Record<string, string> = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    MONGODB_URI: env.MONGODB_URI ?? withDatabase(infra.mongoUri, 'audience-sync'),
    FACEBOOK_EMULATOR_PORT: fbPort,
    MICROSOFT_EMULATOR_PORT: msPort,
    ...(emulators ? emulatorUrls(fbPort, msPort) : {}),
    // Development-only secrets, generated per start when none are configured.
    INTERNAL_API_TOKEN: env.INTERNAL_API_TOKEN ?? randomBytes(24).toString('hex'),
  };
  const describe = emulators ? [`Facebook emulator   http://127.0.0.1:${fbPort}`, `Microsoft emulator  http://127.0.0.1:${msPort}`] : ['ad platforms: the base URLs configured in the environment'];
  return { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, env[k] ?? v])), emulators, describe };
}

function emulatorUrls(fbPort: string, msPort: string): Record<string, string> {
  return {
    FACEBOOK_GRAPH_BASE_URL: `http://127.0.0.1:${fbPort}/v24.0`,
    FACEBOOK_DIALOG_BASE_URL: `http://127.0.0.1:${fbPort}/v24.0/dialog/oauth`,
    MICROSOFT_ADS_BASE_URL: `http://127.0.0.1:${msPort}/CampaignManagement/v13`,
    MICROSOFT_OAUTH_BASE_URL: `http://127.0.0.1:${msPort}/common/oauth2/v2.0`,
  };
}
