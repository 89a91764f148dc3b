#!/usr/bin/env node
// Runs one command for deploy/local/process.ts and ties its life to the process that asked for
// it: when that parent disappears (Ctrl-C, a crash, SIGKILL of a test runner) the IPC channel
// closes and the command is stopped too, so no broker or database is left running behind a
// finished run. It tells the parent the command's own pid and how the command ended.
// usage (with an IPC channel): node supervise.cjs <command> [args...]
'use strict';
const { spawn } = require('node:child_process');

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: 'inherit', detached: true });
let stopping = false;

function stop(signal) {
  if (stopping) return;
  stopping = true;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000).unref();
}

/** Reports to the parent, then exits; without a parent, exits at once. */
function finish(message, code) {
  if (!process.connected) process.exit(code);
  process.send(message, () => process.exit(code));
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop('SIGTERM'));
process.on('disconnect', () => stop('SIGTERM'));
child.on('spawn', () => process.connected && process.send({ pid: child.pid }));
child.on('error', (error) => finish({ exit: { code: 127, signal: null, error: error.message } }, 127));
child.on('exit', (code, signal) => finish({ exit: { code, signal } }, code ?? 1));
