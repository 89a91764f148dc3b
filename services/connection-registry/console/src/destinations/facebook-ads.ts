import { api } from '../api.js';
import { append, h, fill, uid } from '../dom.js';
import type { PageContext } from '../context.js';
import type { Connection, Export } from '../views.js';
import { act, button, field, input, problemArea, select, showProblem } from '../ui.js';
import type { ConsoleDestination, SettingsForm } from './destination.js';

interface AdAccount {
  id: string;
  name: string;
}
interface Audience {
  id: string;
  name: string;
  subtype: string;
  selectable: boolean;
  reason?: string;
}

/** Meta's customer-list keys, as the product names them. */
const KEYS: [string, string][] = [
  ['EMAIL', 'Email'],
  ['PHONE', 'Phone'],
  ['FN', 'First name'],
  ['LN', 'Last name'],
  ['FI', 'First initial'],
  ['GEN', 'Gender'],
  ['DOB', 'Date of birth'],
  ['ST', 'State or region'],
  ['CT', 'City'],
  ['ZIP', 'Postal code'],
  ['COUNTRY', 'Country'],
  ['MADID', 'Mobile advertiser id'],
  ['EXTERN_ID', 'External id'],
];
const label = (key: string) => KEYS.find(([k]) => k === key)?.[1] ?? key;

const IDENTIFIERS: [string, string, string[]][] = [
  ['email', 'Email', ['EMAIL']],
  ['phone', 'Phone', ['PHONE']],
  ['name-and-address', 'Name and address', ['FN', 'LN', 'ZIP']],
];

const audiencesOf = async (connectionId: string, adAccountId: string) =>
  (await api<{ items: Audience[] }>('GET', `/connections/${encodeURIComponent(connectionId)}/facebook/audiences?adAccountId=${encodeURIComponent(adAccountId)}`)).items;

/**
 * Picking an existing customer list of an ad account or naming a new one. Audiences of other kinds
 * are shown but cannot be picked, with Facebook's reason.
 */
function audiencePicker(connectionId: string, name: string): { element: HTMLElement; load(adAccountId: string): Promise<void>; value(): { audienceId: string } | { create: { name: string } } | undefined } {
  const list = h('div', { class: 'choices' });
  const newName = input(`${name}-new-name`);
  const element = h('fieldset', {}, h('legend', {}, 'Audience'), list);
  async function load(adAccountId: string): Promise<void> {
    fill(list, h('p', { class: 'loading' }, 'Loading audiences…'));
    const audiences = await audiencesOf(connectionId, adAccountId);
    const option = (value: string, text: string, disabled = false, note?: string) => {
      const id = uid('audience');
      return h('div', { class: 'choice' }, h('input', { type: 'radio', name, id, value, disabled }), h('label', { for: id }, text), note ? h('span', { class: 'hint' }, ` — ${note}`) : null);
    };
    fill(
      list,
      option('new', 'A new customer list named'),
      h('div', { class: 'indent' }, field('New list name', newName, { path: 'create.name' })),
      ...audiences.map((a) => option(a.id, `${a.name} (${a.subtype.toLowerCase().replace('_', ' ')})`, !a.selectable, a.selectable ? undefined : a.reason)),
    );
    (list.querySelector('input[value="new"]') as HTMLInputElement).checked = true;
  }
  function value() {
    const chosen = list.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value;
    if (!chosen) return undefined;
    return chosen === 'new' ? { create: { name: newName.value.trim() } } : { audienceId: chosen };
  }
  return { element, load, value };
}

async function adAccountSelect(connectionId: string, current?: string): Promise<HTMLSelectElement> {
  const accounts = (await api<{ items: AdAccount[] }>('GET', `/connections/${encodeURIComponent(connectionId)}/facebook/ad-accounts`)).items;
  return select('adAccountId', accounts.map((a) => [a.id, `${a.name} (${a.id})`]), current);
}

export const facebookAds: ConsoleDestination = {
  id: 'facebook-ads',
  label: 'Facebook Ads',
  provider: 'Facebook',
  consent:
    "Exports on this connection send your customers' identifiers to Meta, normalised and SHA-256 hashed, to match them with Facebook users. I confirm we have the consent or legal basis to do so.",

  async setup(connection: Connection, ctx: PageContext, changed: () => void) {
    if (!connection.authenticated || !ctx.isAdmin) return null;
    const chosen = connection.facebook?.audienceId;
    const area = problemArea();
    const section = h('section', { class: 'card' }, h('h2', {}, 'Ad account and audience'));
    section.append(
      chosen
        ? h('p', {}, `Exports feed "${connection.facebook?.audienceName ?? chosen}" (${chosen}) in ad account ${connection.facebook?.adAccountId} unless they name another.`)
        : h('p', {}, 'Pick the ad account and the customer list that exports on this connection feed.'),
    );
    const accounts = await adAccountSelect(connection.id, connection.facebook?.adAccountId);
    const picker = audiencePicker(connection.id, 'connection-audience');
    accounts.addEventListener('change', () => void picker.load(accounts.value).catch((error) => showProblem(area, error)));
    const move = select('moveExports', [
      ['none', 'Keep exports on the current audience'],
      ['all', 'Move the exports that feed the current audience (each gets a full sync)'],
    ]);
    const save = button(chosen ? 'Change audience' : 'Use this audience', () => {
      const audience = picker.value();
      void act(area, save, async () => {
        await api('PUT', `/connections/${encodeURIComponent(connection.id)}/facebook/audience`, { adAccountId: accounts.value, ...audience, ...(chosen ? { moveExports: move.value } : {}) });
        changed();
      }, section);
    }, 'primary');
    const chooser = h('div', {}, field('Ad account', accounts, { path: 'adAccountId' }), picker.element, chosen ? field('Exports already feeding the current audience', move, { path: 'moveExports' }) : null, area, h('div', { class: 'actions' }, save));
    if (!chosen) {
      section.append(chooser);
      if (accounts.value) await picker.load(accounts.value);
      return section;
    }
    // Chosen already: the chooser opens on request, so the page leads with what is set.
    const open = button('Change audience…', () =>
      void act(area, open, async () => {
        if (accounts.value) await picker.load(accounts.value);
        open.replaceWith(chooser);
        accounts.focus();
      }),
    );
    append(section, [area, h('div', { class: 'actions' }, open)]);
    return section;
  },

  async settingsForm(connection: Connection, existing: Export | undefined, ctx: PageContext): Promise<SettingsForm> {
    const settings = existing?.facebook;
    const identifier = select('keyIdentifier', IDENTIFIERS.map(([v, l]) => [v, l]), settings?.keyIdentifier ?? 'email');
    const mappingInputs = new Map(KEYS.map(([key]) => [key, input(`mapping-${key}`, settings?.mappings[key] ?? '', { 'aria-label': `Profile attribute for ${label(key)}` })]));
    const filled = h('p', { class: 'filled', 'aria-live': 'polite' });
    const refreshFilled = () => {
      const keys = [...mappingInputs].filter(([, el]) => el.value.trim()).map(([key]) => key);
      const needed = IDENTIFIERS.find(([v]) => v === identifier.value)?.[2] ?? [];
      const missing = needed.filter((key) => !keys.includes(key));
      for (const [key, el] of mappingInputs) {
        const state = el.closest('tr')!.querySelector('.state')!;
        state.textContent = el.value.trim() ? 'filled' : needed.includes(key) ? 'needed' : '';
        state.className = `state ${el.value.trim() ? 'good' : needed.includes(key) ? 'bad' : ''}`;
      }
      filled.textContent = `Facebook keys filled: ${keys.map(label).join(', ') || 'none'}.` + (missing.length ? ` Matching by ${identifier.selectedOptions[0]?.textContent} also needs: ${missing.map(label).join(', ')}.` : '');
    };
    const rows = KEYS.map(([key, text]) => {
      const el = mappingInputs.get(key)!;
      el.dataset.path = `facebook.mappings.${key}`;
      el.addEventListener('input', refreshFilled);
      return h('tr', {}, h('th', { scope: 'row' }, text, h('span', { class: 'key' }, ` ${key}`)), h('td', {}, el), h('td', { class: 'state' }));
    });
    identifier.addEventListener('change', refreshFilled);
    const country = input('defaultCountry', settings?.defaultCountry ?? '', { maxlength: '2', size: '4' });

    // The audience: the connection's, or (administrators, who may list the account) another one.
    const audienceChoice = h('fieldset', {}, h('legend', {}, 'Audience'));
    const keep = existing ? `Keep "${settings?.audience.audienceName ?? settings?.audience.audienceId}"` : `The connection's audience: ${connection.facebook?.audienceName ?? connection.facebook?.audienceId ?? 'none chosen yet'}`;
    const radio = (value: string, text: string, checked = false) => {
      const id = uid('aud');
      return h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'export-audience', id, value, checked }), h('label', { for: id }, text));
    };
    audienceChoice.append(radio('default', keep, true));
    let picker: ReturnType<typeof audiencePicker> | undefined;
    let account: HTMLSelectElement | undefined;
    if (ctx.isAdmin && connection.authenticated) {
      account = await adAccountSelect(connection.id, settings?.audience.adAccountId ?? connection.facebook?.adAccountId);
      picker = audiencePicker(connection.id, 'export-audience-pick');
      const other = h('div', { class: 'indent' }, field('Ad account', account, { path: 'facebook.audience.adAccountId' }), picker.element);
      account.addEventListener('change', () => void picker!.load(account!.value));
      audienceChoice.append(radio('other', 'Another audience'), other);
      if (account.value) await picker.load(account.value);
    }

    const element = h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Data matching'),
      field('Match customers by', identifier, { hint: 'The key Facebook matches on first; map every key you have, more keys match more people.', path: 'facebook.keyIdentifier' }),
      h('table', { class: 'mapping' }, h('caption', {}, 'Facebook key → profile attribute that holds it'), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Facebook key'), h('th', { scope: 'col' }, 'Profile attribute'), h('th', { scope: 'col' }, 'State'))), h('tbody', {}, rows)),
      filled,
      field('Country of phone numbers without a country code', country, { hint: 'Two letters, e.g. NO. Used when the profile has no mapped Country; without it such numbers are dropped.', path: 'facebook.defaultCountry' }),
      audienceChoice,
    );
    refreshFilled();
    return {
      element,
      body() {
        const mappings = Object.fromEntries([...mappingInputs].filter(([, el]) => el.value.trim()).map(([key, el]) => [key, el.value.trim()]));
        const other = element.querySelector<HTMLInputElement>('input[name="export-audience"]:checked')?.value === 'other';
        const chosen = other ? picker?.value() : undefined;
        return {
          facebook: {
            keyIdentifier: identifier.value,
            mappings,
            ...(country.value.trim() ? { defaultCountry: country.value.trim().toUpperCase() } : {}),
            ...(chosen && account ? { audience: { adAccountId: account.value, ...chosen } } : existing ? { audience: { adAccountId: settings!.audience.adAccountId, audienceId: settings!.audience.audienceId } } : {}),
          },
        };
      },
    };
  },

  summary(exp: Export): [string, string][] {
    const s = exp.facebook;
    if (!s) return [];
    return [
      ['Match by', IDENTIFIERS.find(([v]) => v === s.keyIdentifier)?.[1] ?? s.keyIdentifier],
      ['Keys', Object.entries(s.mappings).map(([key, attr]) => `${label(key)} ← ${attr}`).join(', ')],
      ...(s.defaultCountry ? ([['Phone country', s.defaultCountry]] as [string, string][]) : []),
      ['Ad account', s.audience.adAccountId],
    ];
  },
};
