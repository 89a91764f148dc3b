import { hash } from 'node:crypto';
import { HashedAttributes, HashedValue, ProfileAttributes } from '@audience-sync/contracts';
import { countryCode } from './countries';
import { normalize, UNHASHED_KEYS, isDigest } from './normalize';
import { parseRule } from './rule-names';

/** The columns a rule fills, in order: DOB is sent as year, month and day; PHONE:NO fills PHONE. */
export function ruleColumns(rule: string): readonly string[] {
  const { key } = parseRule(rule);
  return key === 'DOB' ? DOB_COLUMNS : [key];
}
const DOB_COLUMNS = ['DOBY', 'DOBM', 'DOBD'] as const;

/**
 * A rule's output for one value: its digest(s) joined by spaces, or `!` and why it was dropped.
 * Digests travel and rest in base64url (43 characters; hex takes 64): the streamer's state and
 * the hashed topic are mostly digests, so a third fewer bytes to write, read and parse. They
 * become hex again (hexDigest) only in the messages to the sinks, which the platforms take.
 * `country` is the profile's value of the country attribute a PHONE rule names (PHONE@Country).
 */
export function hashValue(rule: string, raw: string, country?: string): string {
  const { key, defaultCountry, countryAttribute } = parseRule(rule);
  // The profile's own country wins over the export's default.
  const profileCountry = countryAttribute !== undefined && country ? countryCode(country) : undefined;
  const result = normalize(key, raw, profileCountry ?? defaultCountry);
  if (!result.ok) return `!${result.reason}`;
  return ruleColumns(rule)
    .map((column) => {
      const value = result.values[column];
      if (UNHASHED_KEYS.has(column)) return value;
      return isDigest(value) ? Buffer.from(value, 'hex').toString('base64url') : hash('sha256', value, 'base64url');
    })
    .join(' ');
}

/** A column's value as the platforms take it: digests in hex, MADID and EXTERN_ID as they are. */
export function platformValue(column: string, value: string): string {
  return value === '' || UNHASHED_KEYS.has(column) ? value : Buffer.from(value, 'base64url').toString('hex');
}

/** What the hasher's rule gave for an attribute's value; undefined when it did not apply the rule. */
export function ruleOutput(value: NonNullable<HashedValue>, rule: string): string | undefined {
  if (typeof value !== 'string') return value[rule];
  return value.length > rule.length && value.charCodeAt(rule.length) === 61 /* = */ && value.startsWith(rule) ? value.slice(rule.length + 1) : undefined;
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
 * Every attribute is forwarded, those no export maps as `''`, so the streamer can tell an absent
 * attribute from one it holds no digest of; an empty or cleared one becomes null.
 *
 * A PHONE rule naming a country attribute reads it from these same attributes. The hasher keeps no
 * profile state and events carry only some attributes (the streamer merges them), so when the
 * phone comes without the country the export's default country applies, and a country that comes
 * later without the phone leaves the phone's digest as it was until the phone comes again.
 */
export function hashAttributes(attributes: ProfileAttributes, rules: ReadonlyMap<string, readonly string[]>): HashedAttributes {
  const out: HashedAttributes = {};
  const byRule = (rule: string, text: string) => {
    const { countryAttribute } = parseRule(rule);
    return hashValue(rule, text, countryAttribute === undefined ? undefined : textOf(attributes[countryAttribute]));
  };
  for (const name in attributes) {
    const text = textOf(attributes[name]);
    if (text === '') {
      out[name] = null;
      continue;
    }
    const applied = rules.get(name) ?? [];
    if (applied.length <= 1) {
      out[name] = applied.length === 0 ? '' : `${applied[0]}=${byRule(applied[0], text)}`;
      continue;
    }
    const hashed: Record<string, string> = {};
    for (const rule of applied) hashed[rule] = byRule(rule, text);
    out[name] = hashed;
  }
  return out;
}

function textOf(value: ProfileAttributes[string]): string {
  return value === null || value === undefined ? '' : String(value).trim();
}
