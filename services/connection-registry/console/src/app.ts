import { api, ApiProblem, Session, useSession } from './api.js';
import { fill, h } from './dom.js';
import { Page, PageContext, takeFlash } from './context.js';
import { signInPage } from './pages/sign-in.js';
import { connectionsPage } from './pages/connections.js';
import { newConnectionPage } from './pages/connection-new.js';
import { connectionPage } from './pages/connection.js';
import { exportsPage } from './pages/exports.js';
import { exportFormPage } from './pages/export-form.js';
import { exportPage } from './pages/export.js';

/** Hash routes: the registry serves one page, so any console address can be bookmarked and reloaded. */
const routes: [RegExp, Page][] = [
  [/^\/connections$/, connectionsPage],
  [/^\/connections\/new$/, newConnectionPage],
  [/^\/connections\/([^/]+)$/, connectionPage],
  [/^\/exports$/, exportsPage],
  [/^\/exports\/new$/, exportFormPage],
  [/^\/exports\/([^/]+)\/edit$/, exportFormPage],
  [/^\/exports\/([^/]+)$/, exportPage],
];

const root = document.getElementById('console')!;
let session: Session | null = null;
let leaving = new AbortController();

async function render(): Promise<void> {
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  if (!session) return showSignIn();
  const [path = '/connections', query = ''] = (location.hash.replace(/^#/, '') || '/connections').split('?');
  const route = routes.map(([pattern, page]) => [path.match(pattern), page] as const).find(([match]) => match);
  const main = h('main', { id: 'main', tabindex: '-1' });
  fill(root, header(session, path), main);
  const notice = takeFlash();
  if (notice) main.append(h('p', { class: 'notice', role: 'status' }, notice));
  if (!route) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page in the console. '), h('a', { href: '#/connections' }, 'Go to connections'));
    return;
  }
  const ctx: PageContext = { session, signal, isAdmin: session.principal.role === 'administrator', query: new URLSearchParams(query) };
  const loading = h('p', { class: 'loading' }, 'Loading…');
  main.append(loading);
  try {
    const content = await route[1](route[0]!.slice(1).map((part) => decodeURIComponent(part)), ctx);
    if (signal.aborted) return;
    loading.replaceWith(content);
  } catch (error) {
    if (signal.aborted) return;
    const message = error instanceof ApiProblem ? error.message : `The page failed: ${(error as Error).message}`;
    loading.replaceWith(h('div', { class: 'problem', role: 'alert' }, h('p', {}, message)));
  }
  // Keyboard and screen-reader users land on the new page's heading, not at the old focus.
  (main.querySelector('h1') as HTMLElement | null)?.setAttribute('tabindex', '-1');
  (main.querySelector('h1') as HTMLElement | null)?.focus();
}

function header(current: Session, path: string): HTMLElement {
  const link = (href: string, label: string) => h('a', { href: `#${href}`, 'aria-current': path.startsWith(href) ? 'page' : undefined }, label);
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), document.getElementById('main')?.focus()) }, 'Skip to content'),
    h('span', { class: 'brand' }, 'audience-sync'),
    h('nav', { 'aria-label': 'Console' }, link('/connections', 'Connections'), link('/exports', 'Exports')),
    h(
      'div',
      { class: 'who' },
      h('span', {}, `${current.principal.name} (${current.principal.role})`),
      h('button', { type: 'button', class: 'button secondary', onclick: () => void signOut() }, 'Sign out'),
    ),
  );
}

function showSignIn(message?: string): void {
  fill(
    root,
    signInPage(message, async (signedIn) => {
      session = signedIn;
      useSession(session);
      await render();
    }),
  );
  (root.querySelector('input') as HTMLInputElement | null)?.focus();
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/session');
  } catch {
    // Signed out either way: the cookie is cleared by the answer, or the session had ended.
  }
  session = null;
  useSession(null);
  showSignIn('You are signed out.');
}

async function start(): Promise<void> {
  useSession(null, (message) => {
    session = null;
    useSession(null);
    showSignIn(message);
  });
  try {
    session = await api<Session>('GET', '/session');
    useSession(session);
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401) return showSignIn((error as Error).message);
  }
  window.addEventListener('hashchange', () => void render());
  await render();
}

void start();
