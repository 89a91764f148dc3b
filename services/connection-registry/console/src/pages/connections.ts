import { all } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../context.js';
import type { Connection } from '../views.js';
import { destinationOf } from '../destinations/index.js';
import { act, problemArea } from '../ui.js';
import { needsSignIn, signInLabel, signInWithProvider, statusBadge, usableByLabel } from '../connection-status.js';

export async function connectionsPage(_: string[], ctx: PageContext): Promise<Node> {
  const connections = await all<Connection>('/connections');
  const area = problemArea();
  const rows = connections.map((c) => {
    const signIn = ctx.isAdmin && needsSignIn(c) ? h('button', { type: 'button', class: 'button secondary', onclick: (e: Event) => void act(area, e.currentTarget as HTMLButtonElement, () => signInWithProvider(c)) }, signInLabel(c)) : null;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/connections/${encodeURIComponent(c.id)}` }, c.displayName)),
      h('td', {}, destinationOf(c.destination).label),
      h('td', {}, statusBadge(c)),
      h('td', {}, usableByLabel(c)),
      h('td', {}, signIn),
    );
  });
  return h(
    'div',
    {},
    h('div', { class: 'title-row' }, h('h1', {}, 'Connections'), ctx.isAdmin ? h('a', { class: 'button primary', href: '#/connections/new' }, 'Add connection') : null),
    area,
    connections.length
      ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Destination', 'Status', 'Who may use it', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)))
      : h('p', {}, ctx.isAdmin ? 'No connections yet. Add one to sign in with Facebook or Microsoft Advertising.' : 'No connection is shared with you yet. Ask an administrator to share one.'),
  );
}
