import { api } from '../api.js';
import { h, fill } from '../dom.js';
import { flash, go, PageContext, takeFlash } from '../context.js';
import type { Connection, Export, Run } from '../views.js';
import { destinationOf } from '../destinations/index.js';
import { exportStateBadge } from '../export-state.js';
import { count, reason, when } from '../format.js';
import { act, button, confirmPanel, problemArea } from '../ui.js';

const POLL_MS = 1000;
const HISTORY = 20;

/** One export: what it sends where, its actions, and its run history, live while a run is in progress. */
export async function exportPage([id]: string[], ctx: PageContext): Promise<Node> {
  const path = `/exports/${encodeURIComponent(id)}`;
  const page = h('div', {});
  const runsSlot = h('section', { class: 'card', 'aria-labelledby': 'runs-title' });
  let applying = false;
  /** What the last action here said; kept while the page redraws itself. */
  let said: string | undefined;
  const draw = async () => {
    const e = await api<Export>('GET', path);
    applying = e.pipeline.state === 'saved';
    const c = await api<Connection>('GET', `/connections/${encodeURIComponent(e.connectionId)}`).catch(() => undefined);
    const destination = c ? destinationOf(c.destination) : undefined;
    const area = problemArea();
    const start = (dryRun: boolean) => async () => {
      await api('POST', `${path}/runs`, dryRun ? { dryRun: true } : {});
      await drawRuns();
    };
    const runNow: HTMLButtonElement = button('Run now', () => void act(area, runNow, start(false)), 'primary');
    const dryRun: HTMLButtonElement = button('Dry run', () => void act(area, dryRun, start(true)));
    const pause: HTMLButtonElement = button(e.paused ? 'Resume' : 'Pause', () =>
      void act(area, pause, async () => {
        const changed = await api<Export & { startedRun?: string }>('PATCH', path, { paused: !e.paused }, { 'if-match': `"${e.version}"` });
        flash(changed.paused ? 'Paused: nothing is sent until you resume.' : `Resumed${changed.startedRun ? ': a full sync catches the audience up' : ''}.`);
        await draw();
        await drawRuns();
      }),
    );
    const edit = h('a', { class: 'button secondary', href: `#${path}/edit` }, 'Edit');
    const remove: HTMLButtonElement = button('Delete…', () => {
      const panel = confirmPanel(
        'Delete this export?',
        [`Nothing more is sent for "${e.displayName}" once it is deleted.`, 'Its audience at the platform keeps its current members.'],
        'Delete export',
        async (confirmArea, control) => {
          if (!(await act(confirmArea, control, () => api('DELETE', path)))) return;
          flash(`Export "${e.displayName}" deleted.`);
          go('#/exports');
        },
        () => {
          panel.replaceWith(actions);
          remove.focus();
        },
      );
      actions.replaceWith(panel);
    }, 'danger');
    const actions = h('div', { class: 'actions' }, runNow, dryRun, pause, edit, remove);
    said = takeFlash() ?? said;
    fill(
      page,
      said ? h('p', { class: 'notice', role: 'status' }, said) : null,
      h('div', { class: 'title-row' }, h('h1', {}, e.displayName), exportStateBadge(e)),
      e.problem ? h('div', { class: 'problem', role: 'alert' }, h('p', {}, e.problem)) : null,
      e.paused ? h('p', { class: 'notice' }, `Paused by ${e.pausedBy ?? 'someone'} since ${when(e.pausedAt)}: nothing is sent. Resuming starts a full sync that catches the audience up.`) : null,
      e.pipeline.state === 'saved' ? h('p', { class: 'notice' }, 'Saved; the pipeline is applying this version (a moment while every stage takes it up).') : null,
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'What it sends'),
        h('dl', {}, [
          ['Connection', c ? `${c.displayName} (${destination!.label})` : e.connectionId],
          ['Segments', e.segments.map((s) => `${s.name} (${s.id})`).join(', ')],
          ...(destination ? destination.summary(e) : []),
          ['Audiences at the platform', e.audiences.map((a) => (a.audienceId ? `${a.name ?? ''} (${a.audienceId})` : a.name ?? '')).join(', ')],
        ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        area,
        actions,
      ),
      runsSlot,
    );
  };

  /** Redraws the history; while a run is pending or running, again every second until it ends or the page is left. */
  const drawRuns = async () => {
    const runs = (await api<{ items: Run[] }>('GET', `${path}/runs?limit=${HISTORY}`)).items;
    fill(runsSlot, h('h2', { id: 'runs-title' }, 'Runs'), runs.length ? runTable(runs) : h('p', {}, 'No runs yet. "Run now" sends a full sync; the segments\' own refreshes and changes also appear here.'));
    if (applying || runs.some((r) => r.state === 'pending' || r.state === 'running')) schedule();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void (ctx.signal.aborted ? undefined : refresh().catch(() => schedule())), POLL_MS);
  };
  // The export too while the pipeline applies a save, so its state turns active without a reload.
  const refresh = async () => {
    if (applying) await draw();
    await drawRuns();
  };
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));
  await draw();
  await drawRuns();
  return page;
}

const STATE_TONE: Record<Run['state'], string> = { pending: 'warn', running: 'warn', succeeded: 'good', failed: 'bad' };

function runTable(runs: Run[]): HTMLElement {
  const head = ['Started', 'Trigger', 'State', 'Sent', 'Removed', 'Invalid', 'Audience size', 'Details'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'runs' },
      h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        { 'aria-live': 'polite' },
        runs.map((r) =>
          h(
            'tr',
            { 'data-run': r.id, 'data-state': r.state },
            h('td', { 'data-label': 'Started' }, when(r.createdAt)),
            h('td', { 'data-label': 'Trigger' }, `${r.trigger}${r.requestedBy ? ` by ${r.requestedBy}` : ''}`),
            h('td', { 'data-label': 'State' }, h('span', { class: `badge ${STATE_TONE[r.state]}` }, r.state)),
            h('td', { class: 'num', 'data-count': 'sent', 'data-label': 'Sent' }, count(r.counts.sent)),
            h('td', { class: 'num', 'data-count': 'removed', 'data-label': 'Removed' }, count(r.counts.removed)),
            h('td', { class: 'num', 'data-count': 'invalid', 'data-label': 'Invalid' }, count(r.counts.invalid), invalidReasons(r.counts.invalidByReason)),
            h('td', { 'data-count': 'audience', 'data-label': 'Audience size' }, audienceSize(r)),
            h('td', { 'data-label': 'Details' }, details(r)),
          ),
        ),
      ),
    ),
  );
}

function invalidReasons(byReason: Record<string, number> | undefined): HTMLElement | null {
  const entries = Object.entries(byReason ?? {}).filter(([, n]) => n > 0);
  return entries.length ? h('ul', { class: 'reasons' }, entries.map(([code, n]) => h('li', {}, `${reason(code)}: ${count(n)}`))) : null;
}

function audienceSize(r: Run): string {
  const a = r.audience;
  if (!a) return '–';
  const { sizeLowerBound: low, sizeUpperBound: high } = a;
  const size = low === undefined && high === undefined ? '' : low === high || high === undefined ? `about ${count(low)}` : `${count(low)}–${count(high)}`;
  return [size, a.status && a.status !== 'ready' ? `(${a.status.replace('-', ' ')})` : ''].filter(Boolean).join(' ') || '–';
}

function details(r: Run): Node | string {
  if (r.error) return h('span', { class: 'error-text' }, r.error);
  const d = r.dryRun;
  if (d) return `would add ${count(d.wouldAdd)}, remove ${count(d.wouldRemove)}, keep ${count(d.wouldKeep)}; ${count(d.invalid)} invalid`;
  if (r.counts.failed) return `${count(r.counts.failed)} rows failed`;
  return '';
}
