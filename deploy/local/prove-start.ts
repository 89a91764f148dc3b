import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process';
import { projectRoot } from './paths';

const exec = promisify(execFile);

/**
 * `npm run prove-start -- --starts 20 --ci-runs 5` (after `npm run build`): what a newcomer
 * meets, repeated. Each start is `npm start`'s program on a fresh data directory and free ports,
 * with the broker and database it owns, until `npm run status` reports every service ready (or
 * the timeout), then Ctrl-C. Each CI run is `bash .ci/run` in a fresh clone of this repository's
 * committed HEAD. Prints how many of each succeeded and keeps the logs of those that did not.
 * Not part of CI: 20 starts and 5 CI runs take about an hour on two cores.
 */
const PORT_VARIABLES = ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'MONGODB_PORT', 'REGISTRY_PORT', 'STREAMER_PORT', 'HASHER_PORT', 'SINK_FACEBOOK_PORT', 'SINK_MICROSOFT_ADS_PORT', 'FACEBOOK_EMULATOR_PORT', 'MICROSOFT_EMULATOR_PORT'];
/** Addresses from the caller's environment would make the starts skip the infrastructure they must prove. */
const INHERITED_ADDRESSES = ['KAFKA_BROKERS', 'MONGODB_URI', 'AUDIENCE_SYNC_DATA_DIR', ...PORT_VARIABLES];

interface Options {
  starts: number;
  ciRuns: number;
  readyTimeoutS: number;
  ciTimeoutS: number;
  logs: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseOptions(argv: string[]): Options {
  const options: Options = { starts: 20, ciRuns: 5, readyTimeoutS: 300, ciTimeoutS: 3600, logs: mkdtempSync(join(tmpdir(), 'prove-start-')) };
  const names: Record<string, keyof Options> = { '--starts': 'starts', '--ci-runs': 'ciRuns', '--ready-timeout': 'readyTimeoutS', '--ci-timeout': 'ciTimeoutS', '--logs': 'logs' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    const value = argv[i + 1];
    if (!key || value === undefined) throw new Error(`usage: prove-start [--starts N] [--ci-runs M] [--ready-timeout S] [--ci-timeout S] [--logs DIR] (got ${argv[i]})`);
    if (key === 'logs') options.logs = value;
    else if (!/^\d+$/.test(value)) throw new Error(`${argv[i]} takes a whole number, not ${value}`);
    else options[key] = Number(value);
  }
  mkdirSync(options.logs, { recursive: true });
  return options;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const variable of INHERITED_ADDRESSES) if (!(variable in extra)) delete env[variable];
  return env;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** One `npm start` on a fresh data directory: seconds until ready, or why not. */
async function oneStart(n: number, options: Options): Promise<{ ok: boolean; seconds: number; detail: string; log: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `prove-start-${n}-`));
  const ports = Object.fromEntries(await Promise.all(PORT_VARIABLES.map(async (v) => [v, String(await freePort())])));
  const env = cleanEnv({ ...ports, AUDIENCE_SYNC_DATA_DIR: dataDir });
  const log = join(options.logs, `start-${n}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  const stack = spawn(process.execPath, [join(projectRoot(), 'dist/deploy/local/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  stack.stdout!.pipe(out);
  stack.stderr!.pipe(out);
  const exited = exitOf(stack);
  let result: { ok: boolean; detail: string } = { ok: false, detail: `not ready within ${options.readyTimeoutS} s` };
  let lastStatus = '';
  while (Date.now() - started < options.readyTimeoutS * 1000) {
    if (stack.exitCode !== null) {
      result = { ok: false, detail: `npm start exited with ${stack.exitCode} before the stack was ready` };
      break;
    }
    try {
      await exec(process.execPath, [join(projectRoot(), 'dist/deploy/local/status.js')], { env, timeout: 30000 });
      result = { ok: true, detail: 'ready' };
      break;
    } catch (error) {
      lastStatus = String((error as { stdout?: string }).stdout ?? '');
    }
    await sleep(2000);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!result.ok && lastStatus) out.write(`\n--- last npm run status:\n${lastStatus}`);
  if (stack.exitCode === null) stack.kill('SIGINT');
  const stopTimer = setTimeout(() => stack.kill('SIGKILL'), 60000);
  const code = await exited;
  clearTimeout(stopTimer);
  if (result.ok && code !== 0) result = { ok: false, detail: `ready, but Ctrl-C ended npm start with ${code}` };
  out.end();
  // The watchdogs stop the stack's processes within seconds of npm start's end; then the data goes.
  await sleep(3000);
  rmSync(dataDir, { recursive: true, force: true });
  if (result.ok) rmSync(log, { force: true });
  return { ...result, seconds, log };
}

/** One fresh clone of the committed HEAD and its `bash .ci/run`. */
async function oneCiRun(n: number, options: Options): Promise<{ ok: boolean; seconds: number; detail: string; log: string }> {
  const clone = mkdtempSync(join(tmpdir(), `prove-ci-${n}-`));
  const log = join(options.logs, `ci-${n}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  await exec('git', ['clone', '--quiet', projectRoot(), clone]);
  const run = spawn('bash', ['.ci/run'], { cwd: clone, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  run.stdout!.pipe(out);
  run.stderr!.pipe(out);
  const timer = setTimeout(() => process.kill(-run.pid!, 'SIGKILL'), options.ciTimeoutS * 1000);
  const code = await exitOf(run);
  clearTimeout(timer);
  out.end();
  const seconds = Math.round((Date.now() - started) / 1000);
  rmSync(clone, { recursive: true, force: true });
  if (code === 0) rmSync(log, { force: true });
  return { ok: code === 0, seconds, detail: code === 0 ? 'passed' : code === null ? `killed after ${options.ciTimeoutS} s` : `exited with ${code}`, log };
}

async function tally(what: string, count: number, one: (n: number) => Promise<{ ok: boolean; seconds: number; detail: string; log: string }>): Promise<{ all: boolean; line: string }> {
  const seconds: number[] = [];
  let succeeded = 0;
  for (let n = 1; n <= count; n += 1) {
    const result = await one(n);
    if (result.ok) {
      succeeded += 1;
      seconds.push(result.seconds);
    }
    say(`${what} ${n}/${count}: ${result.detail} after ${result.seconds} s${result.ok ? '' : ` (log: ${result.log})`}`);
  }
  seconds.sort((a, b) => a - b);
  const times = seconds.length > 0 ? `; seconds: median ${seconds[Math.floor(seconds.length / 2)]}, slowest ${seconds[seconds.length - 1]}` : '';
  return { all: succeeded === count, line: `${what}: ${succeeded} of ${count} succeeded${times}` };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  say(`proving ${options.starts} fresh starts and ${options.ciRuns} fresh-clone CI runs of ${projectRoot()} (logs of failures in ${options.logs})`);
  const starts = await tally('npm start', options.starts, (n) => oneStart(n, options));
  const ci = await tally('.ci/run', options.ciRuns, (n) => oneCiRun(n, options));
  say(`\n${starts.line}\n${ci.line}`);
  if (starts.all && ci.all && !process.argv.includes('--logs')) rmSync(options.logs, { recursive: true, force: true });
  return starts.all && ci.all ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`prove-start failed: ${error.message}\n`);
    process.exit(1);
  },
);
