import { all, api } from '../api.js';
import { h, fill } from '../dom.js';
import { flash, go, PageContext } from '../context.js';
import type { Connection, Export, Segment } from '../views.js';
import { destinationOf } from '../destinations/index.js';
import { act, button, field, input, problemArea, select } from '../ui.js';

/** Data > Exports > Add destination (and edit): connection, segments, the destination's data matching, save. */
export async function exportFormPage([id]: string[], ctx: PageContext): Promise<Node> {
  const existing = id ? await api<Export>('GET', `/exports/${encodeURIComponent(id)}`) : undefined;
  const connections = (await all<Connection>('/connections')).filter((c) => c.status === 'ready' || c.id === existing?.connectionId);
  if (!connections.length) return h('div', {}, h('h1', {}, 'Add export'), h('p', {}, 'An export needs a connected connection. '), h('a', { href: '#/connections' }, 'See connections.'));

  const name = input('displayName', existing?.displayName ?? '');
  const connection = select('connectionId', connections.map((c) => [c.id, `${c.displayName} (${destinationOf(c.destination).label})`]), existing?.connectionId ?? ctx.query.get('connection') ?? undefined);
  if (existing) connection.disabled = true;
  const segments = segmentList(existing?.segments ?? []);
  const settingsSlot = h('div', {});
  let settings: Awaited<ReturnType<ReturnType<typeof destinationOf>['settingsForm']>> | undefined;
  const loadSettings = async () => {
    const c = connections.find((x) => x.id === connection.value)!;
    fill(settingsSlot, h('p', { class: 'loading' }, 'Loading…'));
    settings = await destinationOf(c.destination).settingsForm(c, existing, ctx);
    fill(settingsSlot, settings.element);
  };
  connection.addEventListener('change', () => void loadSettings());
  await loadSettings();

  const area = problemArea();
  const save = h('button', { type: 'submit', class: 'button primary' }, existing ? 'Save changes' : 'Save export');
  const form: HTMLFormElement = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(area, save, async () => {
          const body = { displayName: name.value, segments: segments.value(), ...settings!.body() };
          const saved = existing
            ? await api<Export & { startedRun?: string }>('PATCH', `/exports/${encodeURIComponent(existing.id)}`, body, { 'if-match': `"${existing.version}"` })
            : await api<Export>('POST', '/exports', { ...body, connectionId: connection.value });
          flash(existing ? `Export saved${(saved as { startedRun?: string }).startedRun ? '; a full sync started' : ''}.` : 'Export saved. Run it now, or it follows the segments from their next change.');
          go(`#/exports/${encodeURIComponent(saved.id)}`);
        }, form);
      },
    },
    h('section', { class: 'card' }, h('h2', {}, 'Export'), field('Display name', name, { path: 'displayName' }), field('Connection', connection, { path: 'connectionId', hint: existing ? 'An export stays on its connection; create a new export to use another.' : undefined })),
    segments.element,
    settingsSlot,
    area,
    h('div', { class: 'actions' }, save, h('a', { class: 'button secondary', href: existing ? `#/exports/${encodeURIComponent(existing.id)}` : '#/exports' }, 'Cancel')),
  );
  return h('div', {}, h('h1', {}, existing ? `Edit ${existing.displayName}` : 'Add export'), form);
}

/** The segments (id and name, as the CDP publishes them), a row each. */
function segmentList(initial: Segment[]): { element: HTMLElement; value(): Segment[] } {
  const body = h('tbody', {});
  const addRow = (s: Segment = { id: '', name: '' }) => {
    const n = body.children.length;
    const row = h(
      'tr',
      {},
      h('td', {}, input(`segment-id-${n}`, s.id, { 'aria-label': `Segment ${n + 1} id` })),
      h('td', {}, input(`segment-name-${n}`, s.name, { 'aria-label': `Segment ${n + 1} name` })),
      h('td', {}, button('Remove', () => {
        row.remove();
        relabel();
      })),
    );
    body.append(row);
  };
  // Labels follow the rows' places, so "Segment 2" is the second row after a removal too.
  const relabel = () =>
    body.querySelectorAll('tr').forEach((row, i) => {
      const [idInput, nameInput] = row.querySelectorAll('input');
      idInput.setAttribute('aria-label', `Segment ${i + 1} id`);
      nameInput.setAttribute('aria-label', `Segment ${i + 1} name`);
    });
  (initial.length ? initial : [undefined]).forEach((s) => addRow(s));
  const element = h(
    'section',
    { class: 'card', 'data-path': 'segments' },
    h('h2', {}, 'Segments'),
    h('p', { class: 'hint' }, 'Members of any of these segments are in the audience. Use the ids your CDP publishes on segment-events.v1.'),
    h('table', { class: 'segments' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Segment id'), h('th', { scope: 'col' }, 'Name'), h('td', {}))), body),
    button('Add segment', () => {
      addRow();
      (body.lastElementChild?.querySelector('input') as HTMLInputElement | null)?.focus();
    }),
  );
  return {
    element,
    // Wholly empty rows are left out; the rows sent are renumbered, so the API's errors
    // (`segments.1.id`) land on the row they are about even after rows were removed.
    value: () => {
      const sent: Segment[] = [];
      for (const row of body.querySelectorAll('tr')) {
        const [idInput, nameInput] = row.querySelectorAll('input');
        const segmentId = idInput.value.trim();
        const name = nameInput.value.trim();
        if (!segmentId && !name) continue;
        idInput.dataset.path = `segments.${sent.length}.id`;
        nameInput.dataset.path = `segments.${sent.length}.name`;
        sent.push({ id: segmentId, name: name || segmentId });
      }
      return sent;
    },
  };
}
