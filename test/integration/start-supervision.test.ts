import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../deploy/local/process';
import { projectRoot } from '../../deploy/local/paths';
import { eventually } from '../support/env';
import { childCoverage } from '../../tools/services';

const exec = promisify(execFile);
const root = projectRoot();

const PORT_VARIABLES = [
  'KAFKA_PORT',
  'KAFKA_CONTROLLER_PORT',
  'MONGODB_PORT',
  'REGISTRY_PORT',
  'STREAMER_PORT',
  'HASHER_PORT',
  'SINK_FACEBOOK_PORT',
  'SINK_MICROSOFT_ADS_PORT',
  'FACEBOOK_EMULATOR_PORT',
  'MICROSOFT_EMULATOR_PORT',
] as const;

/** What runs under `npm start`, found by command line in its process tree (not through its state file). */
const PROGRAMS: Record<string, string> = {
  kafka: 'kafka.Kafka',
  ferretdb: 'ferretdb-',
  emulators: 'dist/tools/emulators/main.js',
  'connection-registry': 'dist/services/connection-registry/',
  'segment-streamer': 'dist/services/segment-streamer/',
  'identifier-hasher': 'dist/services/identifier-hasher/',
  'sink-facebook': 'dist/services/sink-facebook/',
  'sink-microsoft-ads': 'dist/services/sink-microsoft-ads/',
};

function isRunning(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** The supervisor's record of one process, from the state file `npm run status` reads. */
function recorded(dataDir: string, name: string): { state: string; pid?: number; restarts: number; lastExit?: { signal: string | null } } | undefined {
  return JSON.parse(readFileSync(join(dataDir, 'stack-state.json'), 'utf8')).processes.find((p: { name: string }) => p.name === name);
}

function programPids(rootPid: number): Record<string, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* ended meanwhile */
    }
  }
  const underRoot = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === rootPid) return true;
    return false;
  };
  const found: Record<string, number> = {};
  for (const pid of parents.keys()) {
    if (!underRoot(pid)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmdline.includes('supervise.cjs')) continue; // the watchdog, not the program
    for (const [name, marker] of Object.entries(PROGRAMS)) if (cmdline.includes(marker)) found[name] = pid;
  }
  return found;
}

describe('npm start (one stack on fresh data and free ports)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: Record<(typeof PORT_VARIABLES)[number], number>;
  let stack: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  const status = async () => {
    try {
      const { stdout } = await exec(process.execPath, [join(root, 'dist/deploy/local/status.js')], { env, timeout: 30000 });
      return { ok: true, stdout };
    } catch (error) {
      return { ok: false, stdout: String((error as { stdout?: string }).stdout ?? '') };
    }
  };
  const ready = async (what: string, timeoutMs = 180000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (stack.exitCode !== null) throw new Error(`npm start exited with ${stack.exitCode} while waiting for ${what}`);
      if ((await status()).ok) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  };

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist/deploy/local/start.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
    dataDir = mkdtempSync(join(tmpdir(), 'start-supervision-'));
    ports = Object.fromEntries(await Promise.all(PORT_VARIABLES.map(async (v) => [v, await freePort()]))) as typeof ports;
    // The stack owns its broker and database here, so their restart can be watched too.
    env = { ...process.env, ...childCoverage(), AUDIENCE_SYNC_DATA_DIR: dataDir, AUDIENCE_SYNC_NO_DOCKER: '1', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    delete env.KAFKA_BROKERS;
    delete env.MONGODB_URI;
    stack = spawn(process.execPath, [join(root, 'dist/deploy/local/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    stack.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => stack.once('exit', (code) => resolve(code)));
    await ready('the stack to be ready', 240000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- npm start said:\n${output}`);
    });
  }, 300000);

  afterAll(async () => {
    if (stack.exitCode === null) stack.kill('SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }, 60000);

  it('prints the ports it was given, not the defaults', () => {
    for (const [variable, name] of [['REGISTRY_PORT', 'connection-registry'], ['STREAMER_PORT', 'segment-streamer'], ['HASHER_PORT', 'identifier-hasher'], ['SINK_FACEBOOK_PORT', 'sink-facebook'], ['SINK_MICROSOFT_ADS_PORT', 'sink-microsoft-ads']] as const) {
      expect(output).toMatch(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:${ports[variable]}\\b`));
    }
    expect(output).toContain(`Facebook emulator   http://127.0.0.1:${ports.FACEBOOK_EMULATOR_PORT}`);
    expect(output).toContain(`Microsoft emulator  http://127.0.0.1:${ports.MICROSOFT_EMULATOR_PORT}`);
    expect(output).toContain(`Kafka      127.0.0.1:${ports.KAFKA_PORT} (local)`);
    expect(output).toContain(`Database   mongodb://127.0.0.1:${ports.MONGODB_PORT} (local)`);
    expect(output).toContain(`API docs   http://127.0.0.1:${ports.REGISTRY_PORT}/docs`);
    expect(output).not.toMatch(/:300[0-4]\b/);
  });

  it('restarts a service killed with -9 while everything else keeps running, and status shows it', async () => {
    const before = programPids(stack.pid!);
    expect(Object.keys(before).sort()).toEqual(Object.keys(PROGRAMS).sort());
    process.kill(before['identifier-hasher'], 'SIGKILL');

    const after = await eventually(
      () => {
        const now = programPids(stack.pid!);
        return now['identifier-hasher'] && now['identifier-hasher'] !== before['identifier-hasher'] ? now : undefined;
      },
      30000,
      'a new identifier-hasher process',
    );
    await ready('the restarted identifier-hasher to be ready', 90000);
    for (const name of Object.keys(PROGRAMS).filter((n) => n !== 'identifier-hasher')) expect({ name, pid: after[name] }).toEqual({ name, pid: before[name] });
    expect(stack.exitCode).toBeNull();

    expect(output).toMatch(/↻ identifier-hasher killed by SIGKILL after \d+(\.\d)? s; restarting it in 1\.0 s \(restart 1(, fast crash 1 of 5 in a row)?\); log: .*identifier-hasher\.log/);
    expect(recorded(dataDir, 'identifier-hasher')).toMatchObject({ state: 'running', restarts: 1, pid: after['identifier-hasher'], lastExit: { signal: 'SIGKILL' } });
    const { stdout } = await status();
    expect(stdout).toMatch(new RegExp(`OK\\s+identifier-hasher\\s+http://127\\.0\\.0\\.1:${ports.HASHER_PORT}/health/ready\\s+ready, pid ${after['identifier-hasher']}, restarts 1 \\(last: killed by SIGKILL at `));
    expect(stdout).toMatch(/OK\s+emulators\s+.*restarts 0/);
  }, 150000);

  it('restarts the Kafka broker it owns when that is killed with -9, and the services become ready again', async () => {
    const before = programPids(stack.pid!);
    process.kill(before.kafka, 'SIGKILL');
    const after = await eventually(
      () => {
        const now = programPids(stack.pid!);
        return now.kafka && now.kafka !== before.kafka ? now : undefined;
      },
      30000,
      'a new Kafka process',
    );
    await ready('the services to be ready with the restarted broker', 150000);
    expect(after.emulators).toBe(before.emulators);
    expect(after.ferretdb).toBe(before.ferretdb);
    expect(output).toMatch(/↻ kafka killed by SIGKILL after \d+(\.\d)? s; restarting it in 1\.0 s \(restart 1(, fast crash 1 of 5 in a row)?\); log: .*kafka\.log/);
    expect(recorded(dataDir, 'kafka')).toMatchObject({ state: 'running', restarts: 1, lastExit: { signal: 'SIGKILL' } });
  }, 200000);

  it('stops everything on Ctrl-C', async () => {
    const pids = Object.values(programPids(stack.pid!));
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    await eventually(() => pids.every((pid) => !isRunning(pid)), 20000, 'every process of the stack to end');
    for (const name of Object.keys(PROGRAMS)) expect({ name, state: recorded(dataDir, name)?.state }).toEqual({ name, state: 'stopped' });
  }, 60000);
});
