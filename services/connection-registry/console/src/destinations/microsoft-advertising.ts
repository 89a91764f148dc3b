import { h } from '../dom.js';
import type { Export } from '../views.js';
import { field, input } from '../ui.js';
import type { ConsoleDestination, SettingsForm } from './destination.js';

export const microsoftAdvertising: ConsoleDestination = {
  id: 'microsoft-advertising',
  label: 'Microsoft Advertising',
  provider: 'Microsoft',
  consent:
    "Exports on this connection send your customers' email addresses to Microsoft Advertising, normalised and SHA-256 hashed, for Customer Match. I confirm we have the consent or legal basis to do so, and that the account has accepted the Customer Match terms.",

  // Signing in is all a Microsoft connection needs; the account is named per export.
  setup: async () => null,

  async settingsForm(_connection, existing: Export | undefined): Promise<SettingsForm> {
    const s = existing?.microsoft;
    const customer = input('customerId', s?.customerId ?? '', { inputmode: 'numeric' });
    const account = input('accountId', s?.accountId ?? '', { inputmode: 'numeric' });
    const email = input('emailAttribute', s?.emailAttribute ?? '');
    const filled = h('p', { class: 'filled', 'aria-live': 'polite' });
    const refresh = () => (filled.textContent = email.value.trim() ? `Email field: filled (${email.value.trim()}).` : 'Email field: not filled — Customer Match matches on email only.');
    email.addEventListener('input', refresh);
    refresh();
    return {
      element: h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Account and data matching'),
        field('Customer id', customer, { hint: 'The number after cid= in the Microsoft Advertising address.', path: 'microsoft.customerId' }),
        field('Account id', account, { hint: 'The number after aid= in the address.', path: 'microsoft.accountId' }),
        field('Profile attribute holding the email', email, { path: 'microsoft.emailAttribute' }),
        filled,
        h('p', { class: 'hint' }, 'Each segment becomes its own customer list, named after the segment.'),
      ),
      body: () => ({ microsoft: { customerId: customer.value.trim(), accountId: account.value.trim(), emailAttribute: email.value.trim() } }),
    };
  },

  summary(exp: Export): [string, string][] {
    const s = exp.microsoft;
    return s ? [['Customer / account', `${s.customerId} / ${s.accountId}`], ['Email field', s.emailAttribute]] : [];
  },
};
