import { api } from './api.js';
import { h } from './dom.js';
import type { Connection } from './views.js';
import { badge } from './ui.js';
import { destinationOf } from './destinations/index.js';

const STATES: Record<Connection['status'], [string, 'good' | 'bad' | 'warn' | 'neutral']> = {
  ready: ['Connected', 'good'],
  'awaiting-audience': ['Choose an audience', 'warn'],
  'awaiting-authentication': ['Not signed in', 'warn'],
  'needs-reauthentication': ['Needs re-authentication', 'bad'],
  'terms-not-accepted': ['Terms not accepted', 'bad'],
};

export const statusBadge = (c: Connection) => badge(...STATES[c.status]);

/**
 * Sends the browser through the provider's sign-in; the registry brings it back to the
 * connection's page. The link is single-use and must finish in this browser.
 */
export async function signInWithProvider(c: Connection): Promise<void> {
  const link = await api<{ url: string }>('POST', `/connections/${encodeURIComponent(c.id)}/authorize`, { returnTo: `/#/connections/${encodeURIComponent(c.id)}` });
  location.assign(link.url);
}

export function signInLabel(c: Connection): string {
  const provider = destinationOf(c.destination).provider;
  return c.status === 'needs-reauthentication' ? `Sign in with ${provider} again` : `Sign in with ${provider}`;
}

export const needsSignIn = (c: Connection) => c.status === 'needs-reauthentication' || c.status === 'awaiting-authentication';

export const usableByLabel = (c: Pick<Connection, 'usableBy'>) => (c.usableBy === 'administrators' ? 'Administrators' : 'Administrators and contributors');

/** The status in the console's words: what is wrong (the platform's own reason) and what to do here. */
export function statusLine(c: Connection): HTMLElement {
  const provider = destinationOf(c.destination).provider;
  const next: Record<Connection['status'], string> = {
    ready: 'Exports can use it.',
    'awaiting-audience': 'Choose the ad account and audience below.',
    'awaiting-authentication': `Sign in with ${provider} to finish it.`,
    'needs-reauthentication': `Sign in with ${provider} again; exports wait meanwhile and lose nothing.`,
    // The platform's reason already says what to accept where, and to confirm it here.
    'terms-not-accepted': '',
  };
  return h('p', { class: 'status-line' }, statusBadge(c), ' ', c.statusReason ? `${c.statusReason.replace(/[.;]?$/, '.')} ` : '', next[c.status]);
}
