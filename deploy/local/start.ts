import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { provideInfrastructure } from './infrastructure';
import { projectRoot } from './paths';
import { ManagedProcess, startManaged } from './process';
import { SERVICE_NODE_ARGS, serviceEntry, servicePort, stackServices } from './stack';
import { stackApiKeys, stackEnvironment } from './stack-env';

/**
 * `npm start`: the infrastructure (unless given), the ad-platform emulators (unless real base
 * URLs are configured) and the five services; prints where each listens; Ctrl-C stops it all.
 */
async function start(): Promise<void> {
  const root = projectRoot();
  const dataDir = process.env.AUDIENCE_SYNC_DATA_DIR ?? join(root, '.data');
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const running: ManagedProcess[] = [];
  let stopInfrastructure = async () => undefined as void;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping…');
    await Promise.all(running.map((p) => p.stop()));
    await stopInfrastructure();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const infra = await provideInfrastructure({
    purpose: 'stack',
    dataDir: join(dataDir, 'infra'),
    kafkaPort: optionalNumber('KAFKA_PORT'),
    kafkaControllerPort: optionalNumber('KAFKA_CONTROLLER_PORT'),
    mongoPort: optionalNumber('MONGODB_PORT'),
    say: (line) => say(`[infra] ${line}`),
  });
  stopInfrastructure = infra.stop;
  const env = stackEnvironment(infra, dataDir);

  if (env.emulators) {
    const emulators = startManaged('emulators', process.execPath, [join(root, 'dist/test/emulators/main.js')], join(logDir, 'emulators.log'), { env: { ...process.env, ...env.values } });
    running.push(emulators);
  }
  for (const service of stackServices) {
    running.push(startManaged(service.name, process.execPath, [...SERVICE_NODE_ARGS, join(root, serviceEntry(service))], join(logDir, `${service.name}.log`), { env: { ...process.env, ...env.values } }));
  }
  for (const proc of running) {
    proc.child.once('exit', (code) => {
      if (stopping) return;
      say(`${proc.name} exited with code ${code}; see ${join(logDir, `${proc.name}.log`)}`);
      void stopAll(1);
    });
  }
  say('');
  say(`Kafka      ${infra.kafkaBrokers.join(',')} (${infra.sources.kafka})`);
  say(`Database   ${infra.mongoUri} (${infra.sources.database})`);
  for (const line of env.describe) say(line);
  for (const service of stackServices) say(`${service.name.padEnd(20)} http://127.0.0.1:${servicePort(service, env.values)}`);
  say(`logs       ${logDir}`);
  say(`API keys   ${stackApiKeys(env.values).map((k) => `${k.name} (${k.role})`).join(', ')}: in ${join(dataDir, 'dev-secrets.json')} (REGISTRY_API_KEYS)`);
  say(`API docs   http://127.0.0.1:${servicePort(stackServices[0], env.values)}/docs`);
  say('\nRun `npm run status` in another terminal to see readiness; Ctrl-C stops everything.');
}

function optionalNumber(variable: string): number | undefined {
  const value = process.env[variable];
  return value ? Number(value) : undefined;
}

start().catch((error: Error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  process.exit(1);
});
