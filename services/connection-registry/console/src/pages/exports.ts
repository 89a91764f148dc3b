import { all } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../context.js';
import type { Connection, Export } from '../views.js';
import { destinationOf } from '../destinations/index.js';
import { exportStateBadge } from '../export-state.js';

export async function exportsPage(_: string[], _ctx: PageContext): Promise<Node> {
  const [exports, connections] = await Promise.all([all<Export>('/exports'), all<Connection>('/connections')]);
  const byId = new Map(connections.map((c) => [c.id, c]));
  const rows = exports.map((e) => {
    const c = byId.get(e.connectionId);
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/exports/${encodeURIComponent(e.id)}` }, e.displayName)),
      h('td', {}, c ? c.displayName : e.connectionId),
      h('td', {}, c ? destinationOf(c.destination).label : '–'),
      h('td', {}, e.segments.map((s) => s.name).join(', ')),
      h('td', {}, exportStateBadge(e)),
    );
  });
  return h(
    'div',
    {},
    h('div', { class: 'title-row' }, h('h1', {}, 'Exports'), connections.some((c) => c.status === 'ready') ? h('a', { class: 'button primary', href: '#/exports/new' }, 'Add export') : null),
    connections.some((c) => c.status === 'ready') ? null : h('p', {}, 'An export needs a connection that is connected. ', h('a', { href: '#/connections' }, 'See connections.')),
    exports.length
      ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Connection', 'Destination', 'Segments', 'State'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)))
      : h('p', {}, 'No exports yet.'),
  );
}
