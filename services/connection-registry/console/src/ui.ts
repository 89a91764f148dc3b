import { ApiProblem } from './api.js';
import { Child, fill, h, uid } from './dom.js';

/** A labelled form field; `path` names the API body field whose errors it shows (e.g. "facebook.mappings.EMAIL"). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, options: { hint?: string; path?: string } = {}): HTMLElement {
  control.id ||= uid('field');
  const hintId = options.hint ? uid('hint') : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  if (options.path) control.dataset.path = options.path;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, options.hint ? h('p', { class: 'hint', id: hintId }, options.hint) : null);
}

export const input = (name: string, value = '', props: Record<string, string | boolean> = {}) => h('input', { name, value, type: 'text', autocomplete: 'off', spellcheck: 'false', ...props });

export function select(name: string, options: [value: string, label: string][], value?: string): HTMLSelectElement {
  return h('select', { name }, ...options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export const button = (label: string, onclick: (event: Event) => void, kind: 'primary' | 'secondary' | 'danger' = 'secondary', type: 'button' | 'submit' = 'button') =>
  h('button', { type, class: `button ${kind}`, onclick }, label);

export const badge = (label: string, tone: 'good' | 'bad' | 'warn' | 'neutral') => h('span', { class: `badge ${tone}` }, label);

/** Where a form's or an action's error shows, next to it: announced to screen readers when it appears. */
export function problemArea(): HTMLElement {
  return h('div', { class: 'problem', role: 'alert', hidden: true });
}

/**
 * Shows what went wrong where it happened: the API's message, and each field's own message under
 * the field the API names (fields found by `data-path`), focusing the first of them.
 */
export function showProblem(area: HTMLElement, error: unknown, form?: HTMLElement): void {
  form?.querySelectorAll('.field-error').forEach((e) => e.remove());
  form?.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  if (!error) {
    area.hidden = true;
    fill(area);
    return;
  }
  const problem = error instanceof ApiProblem ? error : new ApiProblem(0, 'console', (error as Error).message ?? String(error));
  const unplaced: Child[] = [];
  let first: HTMLElement | undefined;
  for (const detail of problem.details) {
    const control = form?.querySelector<HTMLElement>(`[data-path="${CSS.escape(detail.path)}"]`);
    if (!control) {
      unplaced.push(h('li', {}, detail.path ? `${detail.path}: ${detail.message}` : detail.message));
      continue;
    }
    control.setAttribute('aria-invalid', 'true');
    const id = uid('error');
    control.setAttribute('aria-errormessage', id);
    control.insertAdjacentElement('afterend', h('p', { class: 'field-error', id }, detail.message));
    first ??= control;
  }
  area.hidden = false;
  fill(area, h('p', {}, problem.message), unplaced.length ? h('ul', {}, unplaced) : null);
  (first ?? area).focus?.();
  if (!first) area.scrollIntoView({ block: 'nearest' });
}

/**
 * Runs an action from a button: disabled while it runs (no double submits), its error shown in
 * `area`. Resolves true when it succeeded.
 */
export async function act(area: HTMLElement, control: HTMLButtonElement | null, action: () => Promise<void>, form?: HTMLElement): Promise<boolean> {
  if (control) control.disabled = true;
  try {
    await action();
    showProblem(area, null, form);
    return true;
  } catch (error) {
    showProblem(area, error, form);
    return false;
  } finally {
    if (control) control.disabled = false;
  }
}

/**
 * An in-page confirmation (keyboard-usable, unlike window.confirm's look): says what the action
 * stops, then offers it and Cancel; Cancel is focused first, so Enter does not destroy.
 */
export function confirmPanel(title: string, lines: Child[], confirmLabel: string, onConfirm: (area: HTMLElement, control: HTMLButtonElement) => Promise<void>, onCancel: () => void): HTMLElement {
  const area = problemArea();
  const cancel = button('Cancel', onCancel);
  const confirm = button(confirmLabel, () => void onConfirm(area, confirm), 'danger');
  const panel = h('section', { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'confirm-title' }, h('h2', { id: 'confirm-title' }, title), ...lines.map((line) => h('p', {}, line)), area, h('div', { class: 'actions' }, confirm, cancel));
  queueMicrotask(() => cancel.focus());
  return panel;
}
