import { api, Session, useSession } from '../api.js';
import { h } from '../dom.js';
import { act, field, problemArea } from '../ui.js';

/**
 * Signing in with an API key: the key goes to the registry once, which answers with a session
 * cookie the page's scripts cannot read; the key is not kept in the browser.
 */
export function signInPage(message: string | undefined, signedIn: (session: Session) => Promise<void>): HTMLElement {
  const key = h('input', { name: 'apiKey', type: 'password', autocomplete: 'off', required: true });
  const area = problemArea();
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(area, submit, async () => {
          const session = await api<Session>('POST', '/session', { apiKey: key.value.trim() });
          useSession(session);
          key.value = '';
          await signedIn(session);
        }, form);
      },
    },
    field('API key', key, { hint: 'An administrator or contributor key your operator gave you (REGISTRY_API_KEYS). The browser keeps a session cookie, not the key.', path: 'apiKey' }),
    area,
    submit,
  );
  return h('main', { id: 'main', class: 'narrow' }, h('h1', {}, 'Sign in to audience-sync'), message ? h('p', { class: 'notice', role: 'status' }, message) : null, form);
}
