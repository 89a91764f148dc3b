const numbers = new Intl.NumberFormat('en');
export const count = (n: number | undefined) => (n === undefined ? '–' : numbers.format(n));

export function when(iso: string | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "invalid-email" → "invalid email". */
export const reason = (code: string) => code.replace(/[-_]+/g, ' ');
