/**
 * A rule name is the key it normalises by (EMAIL, PHONE, DOB…), which PHONE follows with what it
 * needs beyond the value: `:NO`, the export's default country, and `@Country`, the attribute that
 * holds the profile's country. The streamer reads a rule's output by this name, so two exports that
 * read one phone attribute with other countries get their own digests.
 */
export interface ParsedRule {
  key: string;
  defaultCountry?: string;
  countryAttribute?: string;
}

// The key is capitals and underscores, a default country two capitals: the attribute name after @ may hold anything.
const RULE = /^([A-Z_]+)(?::([A-Z]{2}))?(?:@([\s\S]+))?$/;

/** Exports name a handful of rules, each read for every value hashed: parsed once (bounded, in case). */
const parsed = new Map<string, ParsedRule>();

export function parseRule(rule: string): ParsedRule {
  let result = parsed.get(rule);
  if (result) return result;
  const m = RULE.exec(rule);
  result = m ? { key: m[1], ...(m[2] ? { defaultCountry: m[2] } : {}), ...(m[3] ? { countryAttribute: m[3] } : {}) } : { key: rule };
  if (parsed.size >= 1000) parsed.clear();
  parsed.set(rule, Object.freeze(result));
  return result;
}

/** The PHONE rule for an export's default country (ISO alpha-2) and the attribute mapped to COUNTRY, either optional. */
export function phoneRule(defaultCountry?: string, countryAttribute?: string): string {
  return `PHONE${defaultCountry ? `:${defaultCountry.toUpperCase()}` : ''}${countryAttribute ? `@${countryAttribute}` : ''}`;
}

/** A Facebook export's rules from its mappings (key → attribute): each key by its own rule, PHONE with its countries. */
export function facebookRules(mappings: Partial<Record<string, string>>, defaultCountry?: string): [rule: string, attribute: string][] {
  return Object.entries(mappings)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, attribute]) => [key === 'PHONE' ? phoneRule(defaultCountry, mappings.COUNTRY) : key, attribute]);
}
