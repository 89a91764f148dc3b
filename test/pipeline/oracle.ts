import { createHash } from 'node:crypto';

/**
 * What the destinations should hold, worked out from the platforms' published rules
 * (/work/shared/reference: Meta's customer-file normalisation table, Microsoft's Customer Match
 * email rule) and nothing of libs/identifiers: a normalisation bug there then shows as a
 * difference instead of moving the model and the product alike. It covers only the keys and
 * value shapes the property test uses.
 */

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** Trimmed and lowercased (Meta and Microsoft alike); a value that is not local@domain.tld is no email. */
function email(raw: string): string | undefined {
  const value = raw.trim().toLowerCase();
  const [local, domain, ...rest] = value.split('@');
  const usable = rest.length === 0 && domain !== undefined && local !== '' && !/\s/.test(value) && /^[^.]+(\.[^.]+)+$/.test(domain);
  return usable ? value : undefined;
}

/** Digits only, without leading zeros (the country code then leads). */
function phone(raw: string): string | undefined {
  let digits = '';
  for (const ch of raw) if (ch >= '0' && ch <= '9') digits += ch;
  while (digits.startsWith('0')) digits = digits.slice(1);
  return digits || undefined;
}

/** Lowercase letters only: punctuation and spaces go, accented and other-script letters stay. */
function name(raw: string): string | undefined {
  const letters = [...raw.normalize('NFC').toLowerCase()].filter((ch) => /\p{L}|\p{M}/u.test(ch)).join('');
  return letters || undefined;
}

/** YYYY-MM-DD or YYYYMMDD, split into Meta's DOBY / DOBM / DOBD. */
function birthDate(raw: string): Record<'DOBY' | 'DOBM' | 'DOBD', string> | undefined {
  const digits = raw.trim().replace(/^(\d{4})-(\d{2})-(\d{2})$/, '$1$2$3');
  if (!/^\d{8}$/.test(digits)) return undefined;
  const [y, m, d] = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6)];
  const date = new Date(Date.UTC(+y, +m - 1, +d));
  return date.getUTCMonth() === +m - 1 && date.getUTCDate() === +d ? { DOBY: y, DOBM: m, DOBD: d } : undefined;
}

/** The Facebook keys the property test maps, and the schema columns they fill (DOB is three). */
export type OracleKey = 'EMAIL' | 'PHONE' | 'FN' | 'LN' | 'DOB';
const COLUMNS: Record<OracleKey, string[]> = { EMAIL: ['EMAIL'], PHONE: ['PHONE'], FN: ['FN'], LN: ['LN'], DOB: ['DOBY', 'DOBM', 'DOBD'] };

function normalized(key: OracleKey, raw: string): Record<string, string> | undefined {
  if (key === 'DOB') return birthDate(raw);
  const value = key === 'EMAIL' ? email(raw) : key === 'PHONE' ? phone(raw) : name(raw);
  return value === undefined ? undefined : { [key]: value };
}

/**
 * One Facebook multi-key row for these plain identifiers: each column's SHA-256 digest, '' where
 * a value is missing or unusable; undefined when no column is filled (the row is rejected).
 */
export function oracleFacebookRow(keys: OracleKey[], identifiers: Partial<Record<OracleKey, string>>): Record<string, string> | undefined {
  const row: Record<string, string> = {};
  let filled = false;
  for (const key of keys) {
    for (const column of COLUMNS[key]) row[column] = '';
    const raw = identifiers[key];
    const values = raw === undefined ? undefined : normalized(key, raw);
    if (!values) continue;
    for (const [column, value] of Object.entries(values)) row[column] = sha256(value);
    filled = true;
  }
  return filled ? row : undefined;
}

/** Microsoft Customer Match: the SHA-256 of the normalised email, or undefined when there is none. */
export function oracleMicrosoftEmail(raw: string | undefined): string | undefined {
  const value = raw === undefined ? undefined : email(raw);
  return value === undefined ? undefined : sha256(value);
}

/** A Facebook row written down by column name, so rows compare whatever order the schema puts the columns in. */
export function rowText(row: Record<string, string>): string {
  return Object.keys(row)
    .sort()
    .map((column) => `${column}=${row[column]}`)
    .join('|');
}
