import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { internalCallers } from '../../services/connection-registry/src/config';
import { Infrastructure, withDatabase } from './infrastructure';
import { servicePort, stackServices } from './stack';

export interface StackEnvironment {
  values: Record<string, string>;
  /** Whether the emulators must be started because no real base URLs were configured. */
  emulators: boolean;
  describe: string[];
}

/** The environment the local stack gives every service; anything already set wins. */
export function stackEnvironment(infra: Infrastructure, dataDir: string, env: NodeJS.ProcessEnv = process.env): StackEnvironment {
  const fbPort = env.FACEBOOK_EMULATOR_PORT ?? '4101';
  const msPort = env.MICROSOFT_EMULATOR_PORT ?? '4102';
  const emulators = !env.FACEBOOK_GRAPH_BASE_URL && !env.MICROSOFT_ADS_BASE_URL;
  const values: Record<string, string> = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    MONGODB_URI: env.MONGODB_URI ?? withDatabase(infra.mongoUri, 'audience-sync'),
    FACEBOOK_EMULATOR_PORT: fbPort,
    MICROSOFT_EMULATOR_PORT: msPort,
    ...(emulators ? emulatorUrls(fbPort, msPort) : {}),
    ...devSecrets(dataDir),
    STREAMER_STATE_DIR: join(dataDir, 'segment-streamer'),
    // Every port is set explicitly, so what the banner and the state file show is what runs.
    ...Object.fromEntries(stackServices.map((s) => [s.portVariable, String(servicePort(s, env))])),
    REGISTRY_PUBLIC_URL: `http://127.0.0.1:${env.REGISTRY_PORT ?? 3000}`,
    REGISTRY_INTERNAL_URL: `http://127.0.0.1:${env.REGISTRY_PORT ?? 3000}`,
  };
  const describe = emulators ? [`Facebook emulator   http://127.0.0.1:${fbPort}`, `Microsoft emulator  http://127.0.0.1:${msPort}`] : ['ad platforms: the base URLs configured in the environment'];
  return { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, env[k] ?? v])), emulators, describe };
}

function emulatorUrls(fbPort: string, msPort: string): Record<string, string> {
  return {
    FACEBOOK_GRAPH_BASE_URL: `http://127.0.0.1:${fbPort}/v27.0`,
    FACEBOOK_DIALOG_BASE_URL: `http://127.0.0.1:${fbPort}/v27.0/dialog/oauth`,
    MICROSOFT_ADS_BASE_URL: `http://127.0.0.1:${msPort}/CampaignManagement/v13`,
    MICROSOFT_OAUTH_BASE_URL: `http://127.0.0.1:${msPort}/common/oauth2/v2.0`,
    MICROSOFT_DEVELOPER_TOKEN: 'BBD37VB98',
  };
}

/**
 * Development-only secrets for the local stack, made once and kept in the data directory: the
 * credential encryption key must outlive a restart, or stored provider tokens could not be read.
 * A file from before per-sink credentials gets them (and loses the shared INTERNAL_API_TOKEN).
 */
function devSecrets(dataDir: string): Record<string, string> {
  const file = join(dataDir, 'dev-secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const { INTERNAL_API_TOKEN: _retired, ...secrets }: Record<string, string> = {
    CREDENTIALS_ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString('base64')}`,
    REGISTRY_API_KEYS: `admin:administrator:${randomBytes(18).toString('hex')},contributor:contributor:${randomBytes(18).toString('hex')}`,
    ...Object.fromEntries(internalCallers.map((c) => [c.variable, randomBytes(24).toString('hex')])),
    ...kept,
  };
  if (JSON.stringify(secrets) !== JSON.stringify(kept)) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * One service's environment from the stack's: the registry holds every sink's credential
 * (INTERNAL_TOKEN_<SINK>); a sink gets only its own, as INTERNAL_API_TOKEN; the other services none.
 */
export function serviceEnvironment(service: string, values: Record<string, string>): Record<string, string> {
  if (service === 'connection-registry') return values;
  const own = internalCallers.find((c) => c.service === service);
  const others = Object.fromEntries(Object.entries(values).filter(([name]) => !internalCallers.some((c) => c.variable === name)));
  return own ? { ...others, INTERNAL_API_TOKEN: values[own.variable] } : others;
}

/** The local stack's API keys, for the start banner and the demo. */
export function stackApiKeys(values: Record<string, string>): { name: string; role: string; key: string }[] {
  return (values.REGISTRY_API_KEYS ?? '').split(',').map((entry) => {
    const [name, role, ...key] = entry.split(':');
    return { name, role, key: key.join(':') };
  });
}
