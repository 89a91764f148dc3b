import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { SpawnOptions } from 'node:child_process';
import { ExitInfo, Launcher, ManagedProcess, RunningProcess, startManaged } from './process';
import { ProcessState, describeExit, writeStackState } from './stack-state';

/** Like compose's `restart: unless-stopped`, with a limit for a process that cannot start. */
export interface RestartPolicy {
  /** A crash this soon after starting counts as a fast one. */
  fastCrashMs: number;
  /** After this many fast crashes in a row the process is left stopped. */
  maxFastCrashes: number;
  /** The wait before the first restart; it doubles with each fast crash in a row. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { fastCrashMs: 30000, maxFastCrashes: 5, firstDelayMs: 1000, maxDelayMs: 30000 };

/** Where `npm run status` asks whether a process is up. */
export type ReadinessProbe = Pick<ProcessState, 'readyUrl' | 'addresses'>;

/**
 * Runs the local stack's processes and restarts one that exits while the stack is up, with
 * exponential backoff; nothing else stops. Each restart is told on the terminal, and the state
 * of every process is kept in the data directory's stack-state.json for `npm run status`.
 */
export class Supervisor {
  private readonly processes: SupervisedProcess[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly dataDir: string,
    private readonly say: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  /** A Launcher whose processes this supervisor restarts, probed for readiness as given. */
  launcher(probe: ReadinessProbe = {}): Launcher {
    return (name, command, args, logFile, options) => this.start(name, command, args, logFile, options, probe);
  }

  start(name: string, command: string, args: string[], logFile: string, options: SpawnOptions = {}, probe: ReadinessProbe = {}): RunningProcess {
    const supervised = new SupervisedProcess(name, () => startManaged(name, command, args, logFile, options), logFile, probe, this.policy, this.say, () => this.save());
    this.processes.push(supervised);
    this.save();
    return supervised;
  }

  /** Stops the named processes (all when none are named), with no more restarts. */
  async stop(names?: string[]): Promise<void> {
    await Promise.all(this.processes.filter((p) => !names || names.includes(p.name)).map((p) => p.stop()));
  }

  save(): void {
    writeStackState(this.dataDir, { supervisorPid: process.pid, startedAt: this.startedAt, updatedAt: new Date().toISOString(), processes: this.processes.map((p) => p.state()) });
  }
}

class SupervisedProcess implements RunningProcess {
  private current: ManagedProcess;
  private startedAt = Date.now();
  private status: ProcessState['state'] = 'running';
  private restarts = 0;
  private fastCrashes = 0;
  private lastExit?: ExitInfo & { at: string };
  private timer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly run: () => ManagedProcess,
    private readonly logFile: string,
    private readonly probe: ReadinessProbe,
    private readonly policy: RestartPolicy,
    private readonly say: (line: string) => void,
    private readonly changed: () => void,
  ) {
    this.current = this.launch();
  }

  pid(): number | undefined {
    return this.current.pid();
  }

  /** Also while waiting to be restarted: only giving up or a stop ends it for good. */
  alive(): boolean {
    return this.status === 'running' || this.status === 'restarting';
  }

  async stop(graceMs?: number): Promise<void> {
    if (this.status === 'stopped') return;
    const wasAlive = this.alive();
    this.status = 'stopped';
    clearTimeout(this.timer);
    if (wasAlive) await this.current.stop(graceMs);
    this.changed();
  }

  state(): ProcessState {
    return { name: this.name, state: this.status, pid: this.current.pid(), startedAt: new Date(this.startedAt).toISOString(), restarts: this.restarts, lastExit: this.lastExit, log: this.logFile, ...this.probe };
  }

  private launch(): ManagedProcess {
    const incarnation = this.run();
    this.startedAt = Date.now();
    // The pid arrives from the watchdog a moment after the spawn.
    incarnation.child.once('message', () => this.changed());
    void incarnation.exited.then((exit) => this.exited(exit));
    return incarnation;
  }

  private exited(exit: ExitInfo): void {
    if (this.status === 'stopped') return;
    const ranMs = Date.now() - this.startedAt;
    this.fastCrashes = ranMs < this.policy.fastCrashMs ? this.fastCrashes + 1 : 0;
    this.lastExit = { ...exit, at: new Date().toISOString() };
    const ran = `${describeExit(exit)} after ${formatSeconds(ranMs)}`;
    if (this.fastCrashes >= this.policy.maxFastCrashes) {
      this.status = 'gave-up';
      this.say(
        [
          `✗ ${this.name} ${ran}: it crashed ${this.fastCrashes} times in a row within ${formatSeconds(this.policy.fastCrashMs)} of starting, so it is not restarted again; the rest of the stack keeps running.`,
          `  Look at its log, ${this.logFile}; the last lines:`,
          ...lastLines(this.logFile, 8).map((line) => `    ${line}`),
          '  Fix the cause, then stop and start the stack again (Ctrl-C, npm start).',
        ].join('\n'),
      );
      this.changed();
      return;
    }
    const delay = Math.min(this.policy.firstDelayMs * 2 ** Math.max(this.fastCrashes - 1, 0), this.policy.maxDelayMs);
    this.restarts += 1;
    this.status = 'restarting';
    const streak = this.fastCrashes > 0 ? `, fast crash ${this.fastCrashes} of ${this.policy.maxFastCrashes} in a row` : '';
    this.say(`↻ ${this.name} ${ran}; restarting it in ${formatSeconds(delay)} (restart ${this.restarts}${streak}); log: ${this.logFile}`);
    this.changed();
    this.timer = setTimeout(() => {
      if (this.status !== 'restarting') return;
      this.status = 'running';
      this.current = this.launch();
      this.changed();
    }, delay);
  }
}

function formatSeconds(ms: number): string {
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The end of a log (its last 16 KB at most: logs of a long run are large). */
function lastLines(file: string, count: number): string[] {
  if (!existsSync(file)) return ['(no log written)'];
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, 16384));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    // Services colour their console output; the terminal message stays plain.
    const lines = buffer.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim());
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
