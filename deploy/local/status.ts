import { join } from 'node:path';
import { projectRoot } from './paths';
import { servicePort, stackServices } from './stack';
import { canConnect, isRunning } from './process';
import { ProcessState, StackState, describeExit, readStackState, stackStateFile } from './stack-state';

interface Row {
  ok: boolean;
  name: string;
  where: string;
  detail: string;
}

/**
 * `npm run status`: each process of the stack `npm start` runs (pid, restarts, last exit, from
 * the state file in the data directory) and each service's readiness. Exits 0 only when every
 * service answers ready. Without a state file (services started another way), STATUS_HOST and
 * the services' port variables select what is asked.
 */
async function status(): Promise<number> {
  const dataDir = process.env.AUDIENCE_SYNC_DATA_DIR ?? join(projectRoot(), '.data');
  const state = readStackState(dataDir);
  const supervised = state && isRunning(state.supervisorPid) ? state : undefined;
  if (state && !supervised) process.stdout.write(`npm start (pid ${state.supervisorPid}) is not running; ${stackStateFile(dataDir)} is from ${state.updatedAt}\n`);
  if (supervised) process.stdout.write(`npm start (pid ${supervised.supervisorPid}) running since ${supervised.startedAt}\n`);
  const rows = supervised ? await Promise.all(supervisedRows(supervised)) : await Promise.all(unsupervisedRows());
  const width = Math.max(...rows.map((r) => r.name.length));
  const whereWidth = Math.max(...rows.map((r) => r.where.length));
  for (const row of rows) process.stdout.write(`${row.ok ? 'OK  ' : 'FAIL'} ${row.name.padEnd(width)}  ${row.where.padEnd(whereWidth)}  ${row.detail}\n`);
  // The streamer's further instances (segment-streamer-2, …) are services too.
  const services = rows.filter((r) => stackServices.some((s) => r.name === s.name || r.name.startsWith(`${s.name}-`)));
  const notReady = services.filter((r) => !r.ok).length;
  const down = rows.filter((r) => !r.ok).length - notReady;
  process.stdout.write(notReady === 0 ? 'all services ready\n' : `${notReady} of ${services.length} services not ready\n`);
  if (down > 0) process.stdout.write(`${down} other process(es) down\n`);
  return notReady === 0 && down === 0 ? 0 : 1;
}

/** The processes npm start runs; services it has not started yet (it is still starting) count as not ready. */
function supervisedRows(state: StackState): Promise<Row>[] {
  const waiting = stackServices.filter((s) => !state.processes.some((p) => p.name === s.name));
  return [...state.processes.map(processRow), ...waiting.map(async (s) => ({ ok: false, name: s.name, where: '', detail: 'not started yet (npm start is still starting)' }))];
}

async function processRow(p: ProcessState): Promise<Row> {
  const restarts = `restarts ${p.restarts}${p.lastExit ? ` (last: ${describeExit(p.lastExit)} at ${p.lastExit.at})` : ''}`;
  const where = p.readyUrl ?? p.addresses?.join(' ') ?? '';
  if (p.state === 'gave-up') return { ok: false, name: p.name, where, detail: `gave up after repeated fast crashes, ${restarts}; see ${p.log}` };
  if (p.state !== 'running') return { ok: false, name: p.name, where, detail: `${p.state}, ${restarts}; log ${p.log}` };
  const answer = p.readyUrl ? await readiness(p.readyUrl) : await listening(p.addresses ?? []);
  return { ok: answer.ok, name: p.name, where, detail: `${answer.detail}, pid ${p.pid ?? '?'}, ${restarts}` };
}

function unsupervisedRows(): Promise<Row>[] {
  const host = process.env.STATUS_HOST ?? '127.0.0.1';
  return stackServices.map(async (service) => {
    const url = `http://${host}:${servicePort(service)}/health/ready`;
    return { name: service.name, where: url, ...(await readiness(url)) };
  });
}

async function readiness(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json().catch(() => ({}))) as { info?: Record<string, { message?: string }>; error?: Record<string, { message?: string }> };
    const problems = Object.entries(body.error ?? {}).map(([k, v]) => `${k}: ${v.message ?? 'down'}`);
    // A ready service may still say something (a streamer standing by).
    const notes = Object.values(body.info ?? {}).flatMap((v) => (v.message ? [v.message] : []));
    return { ok: response.ok, detail: response.ok ? `ready${notes.length > 0 ? ` (${notes.join('; ')})` : ''}` : `not ready (${problems.join('; ') || response.status})` };
  } catch (error) {
    return { ok: false, detail: `not answering (${(error as Error).message})` };
  }
}

async function listening(addresses: string[]): Promise<{ ok: boolean; detail: string }> {
  const answers = await Promise.all(addresses.map((a) => canConnect(a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1)))));
  return answers.every(Boolean) ? { ok: true, detail: 'listening' } : { ok: false, detail: 'not listening' };
}

status().then((code) => process.exit(code));
