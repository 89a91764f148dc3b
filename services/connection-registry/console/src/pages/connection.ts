import { all, api } from '../api.js';
import { h, fill } from '../dom.js';
import { flash, go, PageContext, takeFlash } from '../context.js';
import type { Connection, Export } from '../views.js';
import { destinationOf } from '../destinations/index.js';
import { when } from '../format.js';
import { act, button, confirmPanel, field, input, problemArea, select } from '../ui.js';
import { needsSignIn, signInLabel, signInWithProvider, statusLine, usableByLabel } from '../connection-status.js';

export async function connectionPage([id]: string[], ctx: PageContext): Promise<Node> {
  const page = h('div', {});
  let said: string | undefined;
  const draw = async () => {
    const c = await api<Connection>('GET', `/connections/${encodeURIComponent(id)}`);
    const exports = (await all<Export>('/exports')).filter((e) => e.connectionId === id);
    const destination = destinationOf(c.destination);
    const area = problemArea();
    const signIn = ctx.isAdmin && (needsSignIn(c) || c.status === 'ready') ? button(needsSignIn(c) ? signInLabel(c) : `Sign in with ${destination.provider} again`, () => void act(area, signIn, () => signInWithProvider(c)), needsSignIn(c) ? 'primary' : 'secondary') : null;
    const termsAccepted: HTMLButtonElement | null =
      ctx.isAdmin && c.status === 'terms-not-accepted'
        ? button('The terms are accepted now', () =>
            void act(area, termsAccepted, async () => {
              const answer = await api<{ startedRuns: unknown[] }>('POST', `/connections/${encodeURIComponent(c.id)}/terms-accepted`);
              const n = answer.startedRuns.length;
              flash(`Confirmed: ${n} export${n === 1 ? '' : 's'} sync${n === 1 ? 's' : ''} again.`);
              await draw();
            }), 'primary')
        : null;
    const setup = await destination.setup(c, ctx, () => void draw());
    said = takeFlash() ?? said;
    fill(
      page,
      said ? h('p', { class: 'notice', role: 'status' }, said) : null,
      h('h1', {}, c.displayName),
      h('section', { class: 'card' }, h('h2', {}, 'Status'), statusLine(c), dl([
        ['Destination', destination.label],
        ['Who may use it', usableByLabel(c)],
        ['Signed in until', c.authenticatedUntil ? when(c.authenticatedUntil) : c.authenticated ? 'no expiry given' : 'not signed in'],
        ['Consent', `agreed by ${c.consent.agreedBy}, ${when(c.consent.agreedAt)}`],
      ]), area, signIn || termsAccepted ? h('div', { class: 'actions' }, termsAccepted, signIn) : null),
      setup,
      h('section', { class: 'card' }, h('h2', {}, 'Exports on this connection'), exports.length ? h('ul', {}, exports.map((e) => h('li', {}, h('a', { href: `#/exports/${encodeURIComponent(e.id)}` }, e.displayName)))) : h('p', {}, 'None yet.'), c.status === 'ready' ? h('a', { class: 'button secondary', href: `#/exports/new?connection=${encodeURIComponent(c.id)}` }, 'Add export') : null),
      ctx.isAdmin ? settings(c, () => void draw()) : null,
      ctx.isAdmin ? removal(c, exports) : null,
    );
  };
  await draw();
  return page;
}

const dl = (items: [string, string][]) => h('dl', {}, items.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

/** Rename and share. */
function settings(c: Connection, changed: () => void): HTMLElement {
  const name = input('displayName', c.displayName);
  const usableBy = select('usableBy', [
    ['administrators', 'Administrators only'],
    ['administrators-and-contributors', 'Administrators and contributors'],
  ], c.usableBy);
  const area = problemArea();
  const save = h('button', { type: 'submit', class: 'button primary' }, 'Save');
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(area, save, async () => {
          await api('PATCH', `/connections/${encodeURIComponent(c.id)}`, { displayName: name.value, usableBy: usableBy.value });
          flash('Connection saved.');
          changed();
        }, form);
      },
    },
    h('h2', {}, 'Name and sharing'),
    field('Display name', name, { path: 'displayName' }),
    field('Who may use it', usableBy, { path: 'usableBy' }),
    area,
    h('div', { class: 'actions' }, save),
  );
  return form;
}

/** Delete, after saying what stops: the exports on it are deleted too and deliver nothing more. */
function removal(c: Connection, exports: Export[]): HTMLElement {
  const section = h('section', { class: 'card danger-zone' }, h('h2', {}, 'Delete'));
  const open = button('Delete connection…', () => {
    const lines = exports.length
      ? [`Deleting "${c.displayName}" stops delivery of ${exports.length} export${exports.length > 1 ? 's' : ''}, which are deleted with it: ${exports.map((e) => e.displayName).join(', ')}.`, 'The audiences at the platform keep their current members; nothing is removed from them.']
      : [`Deleting "${c.displayName}" removes its stored sign-in. No export uses it.`];
    const panel = confirmPanel('Delete this connection?', lines, exports.length ? `Delete connection and ${exports.length} export${exports.length > 1 ? 's' : ''}` : 'Delete connection', async (area, control) => {
      const ok = await act(area, control, () => api('DELETE', `/connections/${encodeURIComponent(c.id)}?cascade=true`));
      if (!ok) return;
      flash(`Connection "${c.displayName}" deleted.`);
      go('#/connections');
    }, () => {
      panel.replaceWith(section);
      open.focus();
    });
    section.replaceWith(panel);
  }, 'danger');
  section.append(open);
  return section;
}
