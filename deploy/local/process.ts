import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from './paths';

/** How a command ended: its exit code, or the signal that ended it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Set when the command could not be run at all. */
  error?: string;
}

/** A long-running command of the local stack. */
export interface RunningProcess {
  name: string;
  /** The command's own pid (not its watchdog's), once it has started. */
  pid(): number | undefined;
  /** False once it has ended for good. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** One run of a command under its watchdog. */
export interface ManagedProcess extends RunningProcess {
  child: ChildProcess;
  /** Resolves when the command (or, failing that, its watchdog) has ended. */
  exited: Promise<ExitInfo>;
}

/** startManaged's signature: the stack passes a supervising one that restarts what crashes. */
export type Launcher = (name: string, command: string, args: string[], logFile: string, options?: SpawnOptions) => RunningProcess;

/**
 * Starts a long-running command under the watchdog (supervise.cjs), so it stops when this
 * process ends for any reason. Output goes to a log file, never to our terminal.
 */
export function startManaged(name: string, command: string, args: string[], logFile: string, options: SpawnOptions = {}): ManagedProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const watchdog = join(projectRoot(), 'deploy', 'local', 'supervise.cjs');
  const child = spawn(process.execPath, [watchdog, command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let pid: number | undefined;
  let reported: ExitInfo | undefined;
  child.on('message', (message: { pid?: number; exit?: ExitInfo }) => {
    if (message.pid) pid = message.pid;
    if (message.exit) reported = message.exit;
  });
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => {
      // Without a report the watchdog itself was killed: its command, in a process group of
      // its own, may still run and hold its port, so it goes too.
      if (!reported && pid) killGroup(pid);
      resolve(reported ?? { code, signal });
    }),
  );
  let running = true;
  void exited.then(() => (running = false));
  return {
    name,
    child,
    exited,
    pid: () => pid,
    alive: () => running,
    async stop(graceMs = 15000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether a process with this pid exists (one we may not signal counts). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Runs a command to completion, passing selected output lines on as progress. */
export function runToCompletion(command: string, args: string[], options: SpawnOptions & { progress?: (line: string) => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        options.progress?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`)),
    );
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the process exited before listening on ${host}:${port}`);
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
