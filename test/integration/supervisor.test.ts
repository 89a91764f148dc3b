import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../../deploy/local/process';
import { readStackState } from '../../deploy/local/stack-state';
import { RestartPolicy, Supervisor } from '../../deploy/local/supervisor';
import { eventually } from '../support/env';

const node = process.execPath;
const policy: RestartPolicy = { fastCrashMs: 2000, maxFastCrashes: 5, firstDelayMs: 50, maxDelayMs: 400 };

describe('the local stack supervisor', () => {
  let dir: string;
  let supervisor: Supervisor;
  const said: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    said.length = 0;
    supervisor = new Supervisor(dir, (line) => said.push(line), policy);
  });

  afterEach(async () => {
    await supervisor.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (name: string) => readStackState(dir)?.processes.find((p) => p.name === name);

  it('restarts a crashing process with growing delays, gives up after five fast crashes, and leaves the others running', async () => {
    const steady = supervisor.start('steady', node, ['-e', 'setInterval(() => {}, 1000)'], join(dir, 'steady.log'));
    await eventually(() => steady.pid(), 5000, 'the steady pid');
    const steadyPid = steady.pid()!;
    const started = Date.now();
    const crashing = supervisor.start('crashing', node, ['-e', 'console.log("cannot reach the thing it needs"); setTimeout(() => process.exit(3), 100)'], join(dir, 'crashing.log'));
    await eventually(() => state('crashing')?.state === 'gave-up', 20000, 'the supervisor to give up');

    // Four restarts at 50, 100, 200 and 400 ms, then the fifth fast crash ends it.
    expect(state('crashing')).toMatchObject({ restarts: 4, lastExit: { code: 3, signal: null } });
    expect(Date.now() - started).toBeGreaterThan(50 + 100 + 200 + 400);
    const restarts = said.filter((l) => l.startsWith('↻ crashing'));
    expect(restarts).toHaveLength(4);
    expect(restarts[0]).toMatch(/^↻ crashing exit code 3 after .* s; restarting it in 0\.1 s \(restart 1, fast crash 1 of 5 in a row\); log: .*crashing\.log$/);
    expect(restarts[3]).toMatch(/restarting it in 0\.4 s \(restart 4, fast crash 4 of 5 in a row\)/);
    const gaveUp = said.find((l) => l.startsWith('✗ crashing'))!;
    expect(gaveUp).toMatch(/crashed 5 times in a row within 2\.0 s of starting, so it is not restarted again; the rest of the stack keeps running/);
    expect(gaveUp).toContain(join(dir, 'crashing.log'));
    expect(gaveUp).toContain('cannot reach the thing it needs');
    expect(crashing.alive()).toBe(false);

    expect(steady.pid()).toBe(steadyPid);
    expect(isRunning(steadyPid)).toBe(true);
    expect(state('steady')).toMatchObject({ state: 'running', restarts: 0, pid: steadyPid });
  }, 30000);

  it('keeps restarting a process whose crashes come after it ran a while', async () => {
    await supervisor.stop();
    supervisor = new Supervisor(dir, (line) => said.push(line), { fastCrashMs: 400, maxFastCrashes: 2, firstDelayMs: 50, maxDelayMs: 400 });
    supervisor.start('flaky', node, ['-e', 'setTimeout(() => process.exit(1), 600)'], join(dir, 'flaky.log'));
    await eventually(() => (state('flaky')?.restarts ?? 0) >= 4, 15000, 'four restarts');
    expect(state('flaky')?.state).not.toBe('gave-up');
    expect(said.some((l) => l.startsWith('✗'))).toBe(false);
    expect(said[0]).toMatch(/^↻ flaky exit code 1 after 0\.\d s; restarting it in 0\.1 s \(restart 1\); log: /);
  });

  it('stops a process for good: no restart after stop', async () => {
    const p = supervisor.start('steady', node, ['-e', 'setInterval(() => {}, 1000)'], join(dir, 'steady.log'));
    const pid = await eventually(() => p.pid(), 5000, 'the pid');
    await supervisor.stop();
    expect(isRunning(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(state('steady')).toMatchObject({ state: 'stopped', restarts: 0 });
    expect(said).toEqual([]);
  });
});
