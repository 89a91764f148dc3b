import { alpha3ToAlpha2, isValid } from 'i18n-iso-countries';

/**
 * Country names and codes to the current ISO 3166-1 alpha-2 code (lowercase, as Meta takes it),
 * from i18n-iso-countries: current codes only, so no retired code (fx, su, yu, zr…) can come out.
 * Names come in the languages profiles are likely written in, Norwegian first after English.
 */
const LANGUAGES = ['en', 'nb', 'nn', 'no', 'sv', 'da', 'fi', 'is', 'de', 'fr', 'es', 'it', 'nl', 'pt', 'pl'];

/**
 * Names the data lacks that people write. `UK` is exceptionally reserved by ISO 3166 for the United
 * Kingdom, so it is taken as gb rather than rejected like other non-codes (EU, EN, XX).
 */
const ALIASES: Record<string, string> = { uk: 'gb', england: 'gb', scotland: 'gb', wales: 'gb', 'northern ireland': 'gb', america: 'us', holland: 'nl', 'dr congo': 'cd', drc: 'cd' };

let byName: Map<string, string | null> | undefined;

/** Folded name → code; null where one language's name names two countries (Congo), which is not guessed. */
function table(): Map<string, string | null> {
  if (byName) return byName;
  const names = new Map<string, string | null>(Object.entries(ALIASES));
  for (const language of LANGUAGES) {
    // Each locale file is a few kilobytes; only the table built from them is kept.
    const { countries } = require(`i18n-iso-countries/langs/${language}.json`) as { countries: Record<string, string | string[]> };
    const own = new Map<string, string | null>();
    for (const [code, spellings] of Object.entries(countries)) {
      for (const name of [spellings].flat()) {
        const key = fold(name);
        own.set(key, own.has(key) && own.get(key) !== code.toLowerCase() ? null : code.toLowerCase());
      }
    }
    // An earlier language wins: Norwegian "Kongo" is DR Congo even if another language disagrees.
    for (const [key, code] of own) if (!names.has(key)) names.set(key, code);
  }
  return (byName = names);
}

/** Lowercase without accents; periods and apostrophes go (U.S., d'Ivoire), other punctuation becomes a space. */
function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLocaleLowerCase('en')
    .replace(/[.'’]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The country's ISO 3166-1 alpha-2 code in lowercase, or undefined when it names no current country. */
export function countryCode(value: string): string | undefined {
  const folded = fold(value);
  if (/^[a-z]{2}$/.test(folded)) return isValid(folded.toUpperCase()) ? folded : ALIASES[folded];
  if (/^[a-z]{3}$/.test(folded)) {
    const code = alpha3ToAlpha2(folded.toUpperCase());
    if (code) return code.toLowerCase();
  }
  return table().get(folded) ?? undefined;
}
