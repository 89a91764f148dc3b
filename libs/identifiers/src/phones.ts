import { PhoneNumber, PhoneNumberFormat, PhoneNumberUtil } from 'google-libphonenumber';

const util = PhoneNumberUtil.getInstance();

export type PhoneResult = { digits: string } | { reason: 'phone-no-digits' | 'phone-no-country-code' | 'phone-invalid' };

/**
 * A phone number as Meta matches it: E.164 without the `+` (country code, then the national
 * number without its trunk 0), extension dropped. A number written with `+` or `00` carries its
 * country code; any other is read as a number of `region` (ISO alpha-2) or, failing that, as one
 * already written with its country code but without the `+` (`16505551212`, Meta's own examples).
 * A number that is not a valid one of its country is dropped: it could not match anyone.
 */
export function phoneDigits(raw: string, region?: string): PhoneResult {
  if (!/[1-9]/.test(raw)) return { reason: 'phone-no-digits' };
  const international = raw.trim().replace(/^(?:\+|00)/, '+');
  if (international.startsWith('+')) return valid(parse(international, 'ZZ'));
  const national = region ? valid(parse(raw, region.toUpperCase())) : undefined;
  if (national && 'digits' in national) return national;
  const withCode = valid(parse(`+${raw}`, 'ZZ'));
  if ('digits' in withCode) return withCode;
  return national ?? { reason: 'phone-no-country-code' };
}

function parse(text: string, region: string): PhoneNumber | undefined {
  try {
    return util.parse(text, region);
  } catch {
    return undefined; // not a number at all (libphonenumber throws rather than returns)
  }
}

function valid(number: PhoneNumber | undefined): PhoneResult {
  return number && util.isValidNumber(number) ? { digits: util.format(number, PhoneNumberFormat.E164).slice(1) } : { reason: 'phone-invalid' };
}
