import { api } from '../api.js';
import { h, uid } from '../dom.js';
import type { PageContext } from '../context.js';
import type { Connection } from '../views.js';
import { destinations } from '../destinations/index.js';
import { act, field, input, problemArea, select } from '../ui.js';
import { signInWithProvider } from '../connection-status.js';

/** Admin > Connections > Add connection: name, who may use it, the data-privacy consent, then the provider's sign-in. */
export async function newConnectionPage(_: string[], ctx: PageContext): Promise<Node> {
  if (!ctx.isAdmin) return h('div', {}, h('h1', {}, 'Add connection'), h('p', {}, 'Only administrators add connections.'));
  const name = input('displayName');
  const choices = Object.values(destinations);
  const consentText = h('p', { class: 'consent-text' });
  const destinationField = h(
    'fieldset',
    { 'data-path': 'destination' },
    h('legend', {}, 'Destination'),
    ...choices.map((d, i) => {
      const id = uid('dest');
      return h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'destination', id, value: d.id, checked: i === 0, onchange: () => showConsent() }), h('label', { for: id }, d.label));
    }),
  );
  const chosen = () => destinationField.querySelector<HTMLInputElement>('input:checked')!.value as Connection['destination'];
  const showConsent = () => (consentText.textContent = destinations[chosen()].consent);
  const usableBy = select('usableBy', [
    ['administrators', 'Administrators only'],
    ['administrators-and-contributors', 'Administrators and contributors'],
  ]);
  const agreeId = uid('agree');
  const agree = h('input', { type: 'checkbox', id: agreeId, name: 'agreed', 'data-path': 'consent.agreed' });
  const area = problemArea();
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create and sign in');
  const form: HTMLFormElement = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(area, submit, async () => {
          // Unticked, the API refuses with its own words, shown at the box.
          const connection = await api<Connection>('POST', '/connections', { displayName: name.value, destination: chosen(), usableBy: usableBy.value, consent: agree.checked ? { agreed: true } : {} });
          await signInWithProvider(connection);
        }, form);
      },
    },
    field('Display name', name, { path: 'displayName', hint: 'How exports and people will recognise it, e.g. "Facebook, EU shop".' }),
    destinationField,
    field('Who may use it', usableBy, { path: 'usableBy', hint: 'Contributors can create exports only on connections shared with them.' }),
    h('fieldset', { class: 'consent' }, h('legend', {}, 'Data privacy and compliance'), consentText, h('div', { class: 'choice' }, agree, h('label', { for: agreeId }, 'I agree'))),
    area,
    h('div', { class: 'actions' }, submit, h('a', { class: 'button secondary', href: '#/connections' }, 'Cancel')),
  );
  showConsent();
  return h('div', { class: 'narrow' }, h('h1', {}, 'Add connection'), h('p', {}, 'After creating it you sign in with the provider; you come back here to finish.'), form);
}
