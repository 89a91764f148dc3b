/**
 * Country names (in several languages, from the runtime's ICU data) and alpha-3 codes to ISO
 * 3166-1 alpha-2, built once.
 */
const ALPHA3: Record<string, string> = {
  usa: 'us', gbr: 'gb', nor: 'no', swe: 'se', dnk: 'dk', fin: 'fi', isl: 'is', deu: 'de', fra: 'fr', esp: 'es', ita: 'it', nld: 'nl', bel: 'be',
  che: 'ch', aut: 'at', irl: 'ie', prt: 'pt', pol: 'pl', can: 'ca', mex: 'mx', bra: 'br', arg: 'ar', aus: 'au', nzl: 'nz', jpn: 'jp', chn: 'cn',
  ind: 'in', zaf: 'za', kor: 'kr', sgp: 'sg', are: 'ae', tur: 'tr', grc: 'gr', cze: 'cz', hun: 'hu', rou: 'ro', ukr: 'ua', est: 'ee', lva: 'lv', ltu: 'lt',
};
const ALIASES: Record<string, string> = { uk: 'gb', 'great britain': 'gb', england: 'gb', 'united states of america': 'us', america: 'us', holland: 'nl' };

let byName: Map<string, string> | undefined;

function table(): Map<string, string> {
  if (byName) return byName;
  byName = new Map(Object.entries(ALIASES));
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (const locale of ['en', 'nb', 'nn', 'sv', 'da', 'de', 'fr', 'es']) {
    const names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' });
    for (const a of letters) {
      for (const b of letters) {
        const code = a + b;
        const name = names.of(code);
        if (name && name !== code) byName.set(fold(name), code.toLowerCase());
      }
    }
  }
  return byName;
}

function fold(s: string): string {
  return s.normalize('NFC').toLocaleLowerCase('en').replace(/[.'’]/g, '').replace(/\s+/g, ' ').trim();
}

export function countryCode(value: string): string | undefined {
  const folded = fold(value);
  if (/^[a-z]{2}$/.test(folded)) return folded;
  if (/^[a-z]{3}$/.test(folded) && ALPHA3[folded]) return ALPHA3[folded];
  return table().get(folded);
}
