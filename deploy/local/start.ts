import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { provideInfrastructure } from './infrastructure';
import { projectRoot } from './paths';
import { SERVICE_NODE_ARGS, serviceEntry, servicePort, stackProcesses, stackServices } from './stack';
import { serviceEnvironment, stackApiKeys, stackEnvironment } from './stack-env';
import { isRunning } from './process';
import { readStackState, stackStateFile } from './stack-state';
import { Supervisor } from './supervisor';

/**
 * `npm start`: the infrastructure (unless given), the ad-platform emulators (unless real base
 * URLs are configured) and the five services, the streamer as STREAMER_INSTANCES processes (one
 * active, the others standing by); prints where each listens. A process that crashes
 * is restarted (see Supervisor); Ctrl-C stops it all.
 */
async function start(): Promise<void> {
  const root = projectRoot();
  const dataDir = process.env.AUDIENCE_SYNC_DATA_DIR ?? join(root, '.data');
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const other = readStackState(dataDir)?.supervisorPid;
  if (other && other !== process.pid && isRunning(other)) {
    throw new Error(`npm start is already running on ${dataDir} (pid ${other}); stop it first, or give this one another AUDIENCE_SYNC_DATA_DIR and ports`);
  }
  // Read before anything starts: a bad STREAMER_INSTANCES stops npm start naming it.
  stackProcesses(process.env);
  const supervisor = new Supervisor(dataDir, say);
  const applications = ['emulators'];
  let stopInfrastructure = async () => undefined as void;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    say('\nstopping…');
    await supervisor.stop(applications);
    await stopInfrastructure();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const infra = await provideInfrastructure({
    purpose: 'stack',
    dataDir: join(dataDir, 'infra'),
    kafkaPort: optionalNumber('KAFKA_PORT'),
    kafkaControllerPort: optionalNumber('KAFKA_CONTROLLER_PORT'),
    mongoPort: optionalNumber('MONGODB_PORT'),
    say: (line) => say(`[infra] ${line}`),
    supervisor,
  });
  stopInfrastructure = infra.stop;
  const env = stackEnvironment(infra, dataDir);
  const childEnv = (name: string) => ({ ...process.env, ...serviceEnvironment(name, env.values) });

  if (env.emulators) {
    const addresses = [env.values.FACEBOOK_EMULATOR_PORT, env.values.MICROSOFT_EMULATOR_PORT].map((port) => `127.0.0.1:${port}`);
    supervisor.start('emulators', process.execPath, [join(root, 'dist/tools/emulators/main.js')], join(logDir, 'emulators.log'), { env: childEnv('emulators') }, { addresses });
  }
  const processes = stackProcesses({ ...process.env, ...env.values });
  for (const { name, service, port, env: own } of processes) {
    applications.push(name);
    supervisor.start(name, process.execPath, [...SERVICE_NODE_ARGS, join(root, serviceEntry(service))], join(logDir, `${name}.log`), { env: { ...childEnv(service.name), ...own } }, { readyUrl: `http://127.0.0.1:${port}/health/ready` });
  }
  say('');
  say(`Kafka      ${infra.kafkaBrokers.join(',')} (${infra.sources.kafka})`);
  say(`Database   ${infra.mongoUri} (${infra.sources.database})`);
  for (const line of env.describe) say(line);
  for (const { name, port } of processes) say(`${name.padEnd(20)} http://127.0.0.1:${port}${name === 'segment-streamer' && processes.some((p) => p.name.startsWith(`${name}-`)) ? ' (one of these instances is active, the others stand by)' : ''}`);
  say(`logs       ${logDir}`);
  say(`state      ${stackStateFile(dataDir)} (pids, restarts; npm run status reads it)`);
  say(`API keys   ${stackApiKeys(env.values).map((k) => `${k.name} (${k.role})`).join(', ')}: in ${join(dataDir, 'dev-secrets.json')} (REGISTRY_API_KEYS)`);
  say(`Console    http://127.0.0.1:${servicePort(stackServices[0], env.values)}/ (sign in with the administrator key of ${join(dataDir, 'dev-secrets.json')})`);
  say(`API docs   http://127.0.0.1:${servicePort(stackServices[0], env.values)}/docs`);
  say('\nRun `npm run status` in another terminal to see readiness. A process that crashes is restarted; Ctrl-C stops everything.');
}

function optionalNumber(variable: string): number | undefined {
  const value = process.env[variable];
  return value ? Number(value) : undefined;
}

start().catch((error: Error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  process.exit(1);
});
