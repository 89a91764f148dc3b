import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serviceNames } from '@audience-sync/contracts';
import { installCompose, requiredVariables } from '../../deploy/local/compose';
import { devComposeSecrets } from '../../deploy/local/docker';
import { projectRoot } from '../../deploy/local/paths';

const exec = promisify(execFile);
const root = projectRoot();
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const devInfra = join('deploy', 'compose', 'dev-infra.yml');

/** Every secret the stack needs; none may have a default. */
const SECRETS = [
  'CREDENTIALS_ENCRYPTION_KEYS',
  'REGISTRY_API_KEYS',
  'INTERNAL_TOKEN_SINK_FACEBOOK',
  'INTERNAL_TOKEN_SINK_MICROSOFT_ADS',
  'KAFKA_ADMIN_PASSWORD',
  ...serviceNames.map((service) => `KAFKA_PASSWORD_${service.toUpperCase().replace(/-/g, '_')}`),
  'MONGO_INITDB_ROOT_USERNAME',
  'MONGO_INITDB_ROOT_PASSWORD',
  'GRAFANA_ADMIN_PASSWORD',
];

/** Secret-looking variables that may keep a default, and why. */
const NOT_SECRETS: Record<string, string> = {
  FACEBOOK_APP_SECRET: "the emulators' app, accepted by nothing else",
  MICROSOFT_CLIENT_SECRET: "the emulators' app, accepted by nothing else",
  MICROSOFT_DEVELOPER_TOKEN: "Microsoft's published sandbox token",
};

const values = Object.fromEntries(SECRETS.map((name, i) => [name, `secret-${i}-${'x'.repeat(32)}`]));

interface ComposeService {
  environment?: Record<string, string | null>;
  ports?: { host_ip?: string; published?: string; target: number }[];
  logging?: { driver?: string; options?: Record<string, string> };
  depends_on?: Record<string, { condition: string }>;
}

describe('docker-compose.yml', () => {
  let compose: string;
  beforeAll(async () => {
    compose = await installCompose((line) => process.stdout.write(`[compose] ${line}\n`));
  }, 20 * 60 * 1000);

  /** `compose config` in a clean environment holding only `env`. */
  const config = (env: Record<string, string>, files = ['docker-compose.yml']) =>
    exec(compose, [...files.flatMap((f) => ['-f', f]), 'config', '--format', 'json'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
  const rendered = async (files?: string[]) => JSON.parse((await config(values, files)).stdout) as { services: Record<string, ComposeService> };

  it('refuses to run without its secrets, saying what to set and how to make it', async () => {
    await expect(config({})).rejects.toThrow(/required variable (\w+) is missing a value: (set \1, |see the mongodb service)/);
  });

  it.each(SECRETS)('refuses to run without %s', async (name) => {
    const { [name]: _left, ...others } = values;
    await expect(config(others)).rejects.toThrow(new RegExp(`required variable ${name} is missing a value: (set ${name}, .*(openssl rand|e\\.g\\.)|see the mongodb service)`));
  });

  it('requires every secret, and gives no secret-looking variable a default', () => {
    expect(requiredVariables(composeText).sort()).toEqual([...SECRETS].sort());
    const defaulted = [...composeText.matchAll(/\$\{(\w+):?-/g)].map((m) => m[1]);
    const secretLooking = defaulted.filter((name) => /PASSWORD|SECRET|TOKEN|KEY/.test(name) && !(name in NOT_SECRETS));
    expect(secretLooking).toEqual([]);
  });

  it('runs with them: only the registry published on every interface, the emulators, Prometheus and Grafana on loopback', async () => {
    const { services } = await rendered();
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p.host_ip ?? '*'}:${p.published}`));
    expect(published.sort()).toEqual(['connection-registry *:3000', 'emulators 127.0.0.1:4101', 'emulators 127.0.0.1:4102', 'grafana 127.0.0.1:3100', 'prometheus 127.0.0.1:9090']);
  });

  it('starts Prometheus and Grafana with the rules, the dashboard and its data source mounted', async () => {
    const { services } = await rendered();
    const mounts = (name: string) => ((services[name] as { volumes?: { source: string; target: string }[] }).volumes ?? []).map((v) => [v.source.replace(`${root}/`, ''), v.target]);
    expect(mounts('prometheus')).toEqual(expect.arrayContaining([['deploy/observability/prometheus.yml', '/etc/prometheus/prometheus.yml'], ['deploy/observability/alerts.yml', '/etc/prometheus/alerts.yml']]));
    expect(mounts('grafana')).toEqual(expect.arrayContaining([['deploy/observability/grafana/provisioning', '/etc/grafana/provisioning'], ['deploy/observability/grafana/dashboards', '/var/lib/grafana/dashboards']]));
    expect(services.grafana.environment).toMatchObject({ GF_SECURITY_ADMIN_PASSWORD: values.GRAFANA_ADMIN_PASSWORD, GF_AUTH_ANONYMOUS_ENABLED: 'false' });
  });

  it('bounds every container log', async () => {
    const { services } = await rendered();
    for (const [name, service] of Object.entries(services)) {
      expect({ name, logging: service.logging }).toEqual({ name, logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } } });
    }
  });

  it('gives each service its own Kafka user over SASL/SCRAM, made by the broker, after the ACLs are set', async () => {
    const { services } = await rendered();
    const kafka = services.kafka.environment!;
    expect(kafka.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(kafka.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    const protocols = Object.fromEntries(kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',').map((entry) => entry.split(':')));
    for (const listener of kafka.KAFKA_LISTENERS!.split(',')) {
      const [, name, host] = /^(\w+):\/\/([^:]+):\d+$/.exec(listener)!;
      // What is reachable beyond the container's loopback must authenticate.
      if (host !== '127.0.0.1') expect({ listener, protocol: protocols[name] }).toEqual({ listener, protocol: 'SASL_PLAINTEXT' });
    }
    for (const service of [...serviceNames, 'kafka-acls']) {
      const env = services[service].environment!;
      const user = service === 'kafka-acls' ? 'admin' : service;
      expect({ service, brokers: env.KAFKA_BROKERS, mechanism: env.KAFKA_SASL_MECHANISM, user: env.KAFKA_SASL_USERNAME }).toEqual({ service, brokers: 'kafka:19092', mechanism: 'scram-sha-512', user });
      // The password the service logs in with is the one its user was made with.
      expect(env.KAFKA_SASL_PASSWORD).toBe(kafka[`SCRAM_PASSWORD_${user.toUpperCase().replace(/-/g, '_')}`]);
    }
    expect(services['kafka-acls'].depends_on).toEqual({ kafka: expect.objectContaining({ condition: 'service_healthy' }) });
    for (const service of serviceNames) {
      expect(services[service].depends_on?.['kafka-acls']).toEqual(expect.objectContaining({ condition: 'service_completed_successfully' }));
    }
  });

  it('logs the registry in to MongoDB with the user the database was made with', async () => {
    const { services } = await rendered();
    const uri = new URL(services['connection-registry'].environment!.MONGODB_URI!);
    expect([uri.username, uri.password, uri.searchParams.get('authSource')]).toEqual([values.MONGO_INITDB_ROOT_USERNAME, values.MONGO_INITDB_ROOT_PASSWORD, 'admin']);
  });

  it('hands each service only its own secrets', async () => {
    const { services } = await rendered();
    const holders = (secret: string) =>
      Object.entries(services)
        .filter(([name, s]) => name !== 'kafka' && Object.values(s.environment ?? {}).includes(secret))
        .map(([name]) => name)
        .sort();
    expect(holders(values.CREDENTIALS_ENCRYPTION_KEYS)).toEqual(['connection-registry']);
    expect(holders(values.REGISTRY_API_KEYS)).toEqual(['connection-registry']);
    expect(holders(values.INTERNAL_TOKEN_SINK_FACEBOOK)).toEqual(['connection-registry', 'sink-facebook']);
    expect(holders(values.INTERNAL_TOKEN_SINK_MICROSOFT_ADS)).toEqual(['connection-registry', 'sink-microsoft-ads']);
    expect(holders(values.KAFKA_ADMIN_PASSWORD)).toEqual(['kafka-acls']);
  });

  it("npm start's override publishes Kafka and MongoDB on this machine's loopback only", async () => {
    const { services } = await rendered(['docker-compose.yml', devInfra]);
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p.host_ip ?? '*'}:${p.target}`));
    expect(published.sort()).toEqual(['connection-registry *:3000', 'emulators 127.0.0.1:4101', 'emulators 127.0.0.1:4102', 'grafana 127.0.0.1:3000', 'kafka 127.0.0.1:9092', 'mongodb 127.0.0.1:27017', 'prometheus 127.0.0.1:9090']);
  });

  it('npm start makes its own secrets for the project once, and compose accepts them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'compose-dev-'));
    try {
      const secrets = devComposeSecrets(dataDir);
      expect(Object.keys(secrets).sort()).toEqual([...SECRETS].sort());
      expect(devComposeSecrets(dataDir)).toEqual(secrets);
      expect(statSync(join(dataDir, 'compose-dev-secrets.json')).mode & 0o077).toBe(0);
      await expect(config(secrets, ['docker-compose.yml', devInfra])).resolves.toBeDefined();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('make-env.sh prints every secret, fresh, in a form compose reads', async () => {
    const made = () => exec('sh', [join(root, 'deploy', 'compose', 'make-env.sh')]).then(({ stdout }) => Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(/=(.*)/s, 2))));
    const [first, second] = await Promise.all([made(), made()]);
    expect(Object.keys(first).sort()).toEqual([...SECRETS].sort());
    expect(first.KAFKA_ADMIN_PASSWORD).not.toBe(second.KAFKA_ADMIN_PASSWORD);
    const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
    try {
      writeFileSync(join(dir, '.env'), Object.entries(first).map(([k, v]) => `${k}=${v}`).join('\n'));
      await expect(exec(compose, ['--env-file', join(dir, '.env'), '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, env: { PATH: process.env.PATH ?? '' } })).resolves.toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
