import { HashedAttributes, HashedValue, ProfileAttributes } from '@audience-sync/contracts';
import { normalize, UNHASHED_KEYS, isDigest } from './normalize';
import { sha256 } from './hashing';

/** The columns a rule fills, in order: DOB is sent as year, month and day. */
export function ruleColumns(rule: string): readonly string[] {
  return rule === 'DOB' ? DOB_COLUMNS : [rule];
}
const DOB_COLUMNS = ['DOBY', 'DOBM', 'DOBD'] as const;

/** A rule's output for one value: its digest(s) joined by spaces, or `!` and why it was dropped. */
export function hashValue(rule: string, raw: string): string {
  const result = normalize(rule, raw);
  if (!result.ok) return `!${result.reason}`;
  return ruleColumns(rule)
    .map((column) => {
      const value = result.values[column];
      return UNHASHED_KEYS.has(column) || isDigest(value) ? value : sha256(value);
    })
    .join(' ');
}

/** Reads a rule's output back: the digest by column, or the reason the value was dropped. */
export function readHashed(rule: string, output: string): { columns: Record<string, string> } | { dropped: string } {
  if (output.startsWith('!')) return { dropped: output.slice(1) };
  const values = output.split(' ');
  const columns: Record<string, string> = {};
  ruleColumns(rule).forEach((column, i) => (columns[column] = values[i]));
  return { columns };
}

/**
 * Hashes a profile's attributes by the rules exports apply to them (attribute name -> rules).
 * Every attribute is forwarded, those no export maps as `{}`, so the streamer can tell an absent
 * attribute from one it holds no digest of; an empty or cleared one becomes null.
 */
export function hashAttributes(attributes: ProfileAttributes, rules: ReadonlyMap<string, readonly string[]>): HashedAttributes {
  const out: HashedAttributes = {};
  for (const name in attributes) {
    const value = attributes[name];
    const text = value === null || value === undefined ? '' : String(value).trim();
    if (text === '') {
      out[name] = null;
      continue;
    }
    const hashed: NonNullable<HashedValue> = {};
    for (const rule of rules.get(name) ?? []) hashed[rule] = hashValue(rule, text);
    out[name] = hashed;
  }
  return out;
}
