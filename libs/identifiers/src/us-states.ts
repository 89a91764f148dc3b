/**
 * US states, DC and the inhabited territories by name and by their traditional (GPO) abbreviations,
 * to the USPS/ANSI two-letter code Meta asks for. ISO 3166 data has no state names, so they are kept here.
 */
const STATES: Record<string, string> = {
  alabama: 'al', alaska: 'ak', arizona: 'az', arkansas: 'ar', california: 'ca', colorado: 'co', connecticut: 'ct', delaware: 'de', florida: 'fl', georgia: 'ga',
  hawaii: 'hi', idaho: 'id', illinois: 'il', indiana: 'in', iowa: 'ia', kansas: 'ks', kentucky: 'ky', louisiana: 'la', maine: 'me', maryland: 'md',
  massachusetts: 'ma', michigan: 'mi', minnesota: 'mn', mississippi: 'ms', missouri: 'mo', montana: 'mt', nebraska: 'ne', nevada: 'nv', 'new hampshire': 'nh',
  'new jersey': 'nj', 'new mexico': 'nm', 'new york': 'ny', 'north carolina': 'nc', 'north dakota': 'nd', ohio: 'oh', oklahoma: 'ok', oregon: 'or',
  pennsylvania: 'pa', 'rhode island': 'ri', 'south carolina': 'sc', 'south dakota': 'sd', tennessee: 'tn', texas: 'tx', utah: 'ut', vermont: 'vt',
  virginia: 'va', washington: 'wa', 'west virginia': 'wv', wisconsin: 'wi', wyoming: 'wy', 'district of columbia': 'dc', 'washington dc': 'dc',
  'puerto rico': 'pr', guam: 'gu', 'american samoa': 'as', 'northern mariana islands': 'mp', 'us virgin islands': 'vi', 'united states virgin islands': 'vi',
  ala: 'al', ariz: 'az', ark: 'ar', calif: 'ca', cal: 'ca', colo: 'co', conn: 'ct', del: 'de', fla: 'fl', ill: 'il', ind: 'in', kan: 'ks', kans: 'ks',
  mass: 'ma', mich: 'mi', minn: 'mn', miss: 'ms', mont: 'mt', neb: 'ne', nebr: 'ne', nev: 'nv', 'n mex': 'nm', 'n dak': 'nd', okla: 'ok', ore: 'or', oreg: 'or',
  penn: 'pa', penna: 'pa', 's dak': 'sd', tenn: 'tn', tex: 'tx', wash: 'wa', 'w va': 'wv', wis: 'wi', wisc: 'wi', wyo: 'wy',
};
const CODES = new Set(Object.values(STATES));

/**
 * A US state's name, abbreviation (`Calif.`, `N.Y.`) or ISO 3166-2 code (`US-OR`) as its two-letter
 * code, or undefined. Periods go (D.C. is dc); dashes, commas and spaces separate words (`New-Jersey`, `Washington, DC`).
 */
export function usStateCode(value: string): string | undefined {
  const folded = value
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/[^a-z]+/g, ' ')
    .trim();
  const iso = /^us ([a-z]{2})$/.exec(folded);
  if (iso && CODES.has(iso[1])) return iso[1];
  return CODES.has(folded) ? folded : STATES[folded];
}
