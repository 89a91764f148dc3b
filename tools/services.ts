import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../deploy/local/process';
import { projectRoot } from '../deploy/local/paths';
import { SERVICE_NODE_ARGS } from '../deploy/local/stack';

const root = projectRoot();

export interface RunningService {
  name: string;
  port: number;
  child: ChildProcess;
  /** Where its output goes; complete once kill() returned. */
  logFile: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Under `npm test`, services record what they execute for the coverage report (tools/coverage/report.ts). */
export const childCoverage = (): Record<string, string> =>
  process.env.AUDIENCE_SYNC_CHILD_COVERAGE ? { NODE_V8_COVERAGE: join(root, process.env.AUDIENCE_SYNC_CHILD_COVERAGE) } : {};

/** With AUDIENCE_SYNC_CPU_PROFILES=<dir> (e.g. for `npm run bench`), each service writes a V8 CPU profile there when it stops. */
const cpuProfileArgs = (): string[] => (process.env.AUDIENCE_SYNC_CPU_PROFILES ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AUDIENCE_SYNC_CPU_PROFILES}`] : []);

/** Polls the service's readiness endpoint; fails at once if the process exits meanwhile. */
async function untilReady(name: string, port: number, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`);
    if ((await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${name} to be ready`);
}

/**
 * Runs a built service (dist/, made by `npm test`'s build step) as a child process, so a test can
 * SIGKILL it like a crash (the benchmark runs the services the same way). Its log goes to test-logs/<logName>.log (JSON lines
 * unless env says LOG_FORMAT=text); a test reading one process's lines gives a name of its own. Readiness is awaited.
 */
export async function startService(name: string, portVariable: string, env: Record<string, string>, fixedPort?: number, logName = name): Promise<RunningService> {
  const entry = join(root, 'dist', 'services', name, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test does)`);
  const port = fixedPort ?? (await freePort());
  mkdirSync(join(root, 'test-logs'), { recursive: true });
  const logFile = join(root, 'test-logs', `${logName}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...SERVICE_NODE_ARGS, ...cpuProfileArgs(), entry], { env: { ...process.env, ...childCoverage(), ...env, [portVariable]: String(port), LOG_LEVEL: env.LOG_LEVEL ?? 'log' }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Both streams write to one file, which ends once both have closed and everything is written.
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('close', () => log.end(resolve)));
  await untilReady(name, port, child, 60000, logFile);
  return {
    name,
    port,
    child,
    logFile,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
