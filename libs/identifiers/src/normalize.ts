import { countryCode } from './countries';
import { phoneDigits } from './phones';
import { usStateCode } from './us-states';

/** Why a value was dropped; counted per reason, never logged with the value. */
export type DropReason =
  | 'email-invalid'
  | 'phone-no-digits'
  | 'phone-no-country-code'
  | 'phone-invalid'
  | 'name-no-letters'
  | 'gender-unknown'
  | 'dob-invalid'
  | 'city-no-letters'
  | 'state-empty'
  | 'zip-empty'
  | 'country-unknown'
  | 'empty';

export type Normalized = { ok: true; values: Record<string, string> } | { ok: false; reason: DropReason };

const DIGEST = /^[0-9a-fA-F]{64}$/;
const letters = (s: string) => s.normalize('NFC').toLocaleLowerCase('en').replace(/[^\p{L}\p{M}]/gu, '');

/** A value that already is a SHA-256 hex digest passes as it is (lowercased), never hashed twice. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

const rules: Record<string, (v: string, region?: string) => Normalized> = {
  EMAIL: (v) => {
    const e = v.trim().toLocaleLowerCase('en');
    return /^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(e) ? one('EMAIL', e) : drop('email-invalid');
  },
  PHONE: (v, region) => {
    const phone = phoneDigits(v, region);
    return 'digits' in phone ? one('PHONE', phone.digits) : drop(phone.reason);
  },
  FN: (v) => nonEmpty('FN', letters(v), 'name-no-letters'),
  LN: (v) => nonEmpty('LN', letters(v), 'name-no-letters'),
  FI: (v) => nonEmpty('FI', [...letters(v)][0] ?? '', 'name-no-letters'),
  GEN: (v) => {
    const g = v.trim().toLowerCase();
    if (['m', 'male', 'man', 'mann'].includes(g)) return one('GEN', 'm');
    if (['f', 'female', 'woman', 'kvinne', 'k'].includes(g)) return one('GEN', 'f');
    return drop('gender-unknown');
  },
  DOB: (v) => {
    const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$/.exec(v.trim()) ?? /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(v.trim());
    if (!m) return drop('dob-invalid');
    const [, y, mo, d] = m;
    const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(y) < 1900) return drop('dob-invalid');
    return { ok: true, values: { DOBY: y, DOBM: mo, DOBD: d } };
  },
  CT: (v) => nonEmpty('CT', letters(v), 'city-no-letters'),
  ST: (v) => nonEmpty('ST', usStateCode(v) ?? v.normalize('NFC').toLocaleLowerCase('en').replace(/[^\p{L}\p{M}\p{N}]/gu, ''), 'state-empty'),
  // Meta: "lowercase with no spaces and no dash", "only the first 5 digits for U.S. zip codes" (ZIP+4 has nine).
  ZIP: (v) => {
    const z = v.toLowerCase().replace(/[\s-]+/g, '');
    const us = /^(\d{5})(?:\d{4})?$/.exec(z);
    return nonEmpty('ZIP', us ? us[1] : z, 'zip-empty');
  },
  COUNTRY: (v) => {
    const code = countryCode(v);
    return code ? one('COUNTRY', code) : drop('country-unknown');
  },
  MADID: (v) => nonEmpty('MADID', v.trim().toLowerCase(), 'empty'),
  EXTERN_ID: (v) => nonEmpty('EXTERN_ID', v.trim(), 'empty'),
};

/** Keys sent as they are: Meta matches them unhashed. */
export const UNHASHED_KEYS = new Set(['MADID', 'EXTERN_ID']);

/**
 * Normalises one mapped value by the destination's published rules. DOB becomes DOBY/DOBM/DOBD.
 * A digest passes through under its key (DOB digests cannot be split and are dropped). `region`
 * (ISO alpha-2) is the country a PHONE without a country code belongs to.
 */
export function normalize(key: string, raw: string, region?: string): Normalized {
  const value = raw.trim();
  if (value === '') return drop('empty');
  if (!UNHASHED_KEYS.has(key) && isDigest(value)) return key === 'DOB' ? drop('dob-invalid') : one(key, value.toLowerCase());
  const rule = rules[key];
  return rule ? rule(value, region) : drop('empty');
}

function one(key: string, value: string): Normalized {
  return { ok: true, values: { [key]: value } };
}

function drop(reason: DropReason): Normalized {
  return { ok: false, reason };
}

function nonEmpty(key: string, value: string, reason: DropReason): Normalized {
  return value ? one(key, value) : drop(reason);
}
