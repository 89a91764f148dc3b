#!/usr/bin/env node
// Runs one command and ties its life to the process that asked for it: when that parent
// disappears (Ctrl-C, a crash, SIGKILL of a test runner), the command is stopped too, so no
// broker or database is left running behind a finished run.
// usage: node supervise.cjs <parent-pid> <command> [args...]
'use strict';
const { spawn } = require('node:child_process');

const [parentArg, command, ...args] = process.argv.slice(2);
const parent = Number(parentArg);
const child = spawn(command, args, { stdio: 'inherit', detached: true });
let stopping = false;

function stop(signal) {
  if (stopping) return;
  stopping = true;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000).unref();
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
setInterval(() => {
  try { process.kill(parent, 0); } catch { stop('SIGTERM'); }
}, 1000);
