import { normalize } from './normalize';
import { facebookRows, facebookSchema, microsoftEmails, PlainChange, sha256 } from './hashing';

const value = (key: string, raw: string, region?: string) => {
  const r = normalize(key, raw, region);
  return r.ok ? r.values : r.reason;
};

describe('normalisation rules', () => {
  it('matches the reference digests', () => {
    expect(sha256((value('EMAIL', ' Mary@Example.com ') as Record<string, string>).EMAIL)).toBe('f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79');
    expect(value('PHONE', '+1 (650) 555-1212')).toEqual({ PHONE: '16505551212' });
    expect(sha256('16505551212')).toBe('e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176');
    expect(sha256((value('FN', 'Mary') as Record<string, string>).FN)).toBe('6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec');
    expect(sha256((value('EMAIL', 'test@contoso.com') as Record<string, string>).EMAIL)).toBe('f25ad364d33972379a7a4f4df33db142205f5c40eb19cfdb2fc5aaf117e10101');
  });

  it('emails: trimmed, lowercased; without @ dropped', () => {
    expect(value('EMAIL', '  JOHN.Doe@Example.COM')).toEqual({ EMAIL: 'john.doe@example.com' });
    expect(value('EMAIL', 'not-an-email')).toBe('email-invalid');
    expect(value('EMAIL', 'a@b')).toBe('email-invalid');
  });

  it('phones: E.164 digits without the +; a + or 00 prefix carries the country code, an extension is dropped', () => {
    expect(value('PHONE', '0047 912 34 567')).toEqual({ PHONE: '4791234567' });
    expect(value('PHONE', '+44 (0)20 7946 0958')).toEqual({ PHONE: '442079460958' });
    expect(value('PHONE', '+1 (650) 555-1212 x956')).toEqual({ PHONE: '16505551212' });
    expect(value('PHONE', '(650) 555-1212 ext. 956', 'US')).toEqual({ PHONE: '16505551212' });
    expect(value('PHONE', '+47 912 34 567', 'US')).toEqual({ PHONE: '4791234567' });
    expect(value('PHONE', 'call me')).toBe('phone-no-digits');
    expect(value('PHONE', '+0000000000')).toBe('phone-no-digits');
  });

  it("phones without a country code take the region given (the profile's country, else the export's default)", () => {
    expect(value('PHONE', '912 34 567', 'NO')).toEqual({ PHONE: '4791234567' });
    expect(value('PHONE', '912 34 567', 'no')).toEqual({ PHONE: '4791234567' });
    expect(value('PHONE', '020 7946 0958', 'GB')).toEqual({ PHONE: '442079460958' });
    expect(value('PHONE', '912 34 567')).toBe('phone-no-country-code');
    expect(value('PHONE', '555 1234')).toBe('phone-no-country-code');
  });

  it('phones already written with their country code but no + stay as they are', () => {
    expect(value('PHONE', '16505551212')).toEqual({ PHONE: '16505551212' });
    expect(value('PHONE', '1-650-555-1212', 'NO')).toEqual({ PHONE: '16505551212' });
    expect(value('PHONE', '47 91 23 45 67', 'NO')).toEqual({ PHONE: '4791234567' });
  });

  it('phones that cannot be a number of their country are dropped', () => {
    expect(value('PHONE', '+1 650 000 0001')).toBe('phone-invalid');
    expect(value('PHONE', '12', 'NO')).toBe('phone-invalid');
    expect(value('PHONE', '+47 123')).toBe('phone-invalid');
  });

  it('names keep non-ASCII letters and drop punctuation, spaces and digits', () => {
    expect(value('FN', 'Valéry')).toEqual({ FN: 'valéry' });
    expect(value('FN', 'Vale\u0301ry')).toEqual({ FN: 'valéry' });
    expect(value('LN', "O'Brien-Smith")).toEqual({ LN: 'obriensmith' });
    expect(value('LN', 'Ødegård')).toEqual({ LN: 'ødegård' });
    expect(value('FN', 'Zoë Ann')).toEqual({ FN: 'zoëann' });
    expect(value('FN', '大和')).toEqual({ FN: '大和' });
    expect(value('FN', '--')).toBe('name-no-letters');
    expect(value('FI', 'Émile')).toEqual({ FI: 'é' });
  });

  it('gender: m or f, anything else dropped rather than guessed', () => {
    expect(value('GEN', 'Male')).toEqual({ GEN: 'm' });
    expect(value('GEN', 'F')).toEqual({ GEN: 'f' });
    expect(value('GEN', 'unknown')).toBe('gender-unknown');
    expect(value('GEN', 'x')).toBe('gender-unknown');
  });

  it('date of birth becomes DOBY, DOBM, DOBD', () => {
    expect(value('DOB', '1987-03-09')).toEqual({ DOBY: '1987', DOBM: '03', DOBD: '09' });
    expect(value('DOB', '19870309')).toEqual({ DOBY: '1987', DOBM: '03', DOBD: '09' });
    expect(value('DOB', '1987-03-09T00:00:00Z')).toEqual({ DOBY: '1987', DOBM: '03', DOBD: '09' });
    expect(value('DOB', '1987-02-30')).toBe('dob-invalid');
    expect(value('DOB', '09/03/1987')).toBe('dob-invalid');
  });

  it('addresses: US states to codes, cities letters only, US ZIP to five digits, others without spaces', () => {
    expect(value('ST', 'California')).toEqual({ ST: 'ca' });
    expect(value('ST', 'NEW YORK')).toEqual({ ST: 'ny' });
    expect(value('ST', 'TX')).toEqual({ ST: 'tx' });
    expect(value('ST', 'Viken')).toEqual({ ST: 'viken' });
    expect(value('ST', 'Île-de-France')).toEqual({ ST: 'îledefrance' });
    expect(value('CT', 'San Francisco')).toEqual({ CT: 'sanfrancisco' });
    expect(value('CT', 'Tromsø')).toEqual({ CT: 'tromsø' });
    expect(value('ZIP', '37221-3312')).toEqual({ ZIP: '37221' });
    expect(value('ZIP', '372213312')).toEqual({ ZIP: '37221' });
    expect(value('ZIP', 'SW1A 1AA')).toEqual({ ZIP: 'sw1a1aa' });
    expect(value('ZIP', '0150')).toEqual({ ZIP: '0150' });
  });

  it('ZIP: no spaces and no dash (Meta), so a spaced ZIP+4 still gives the first five digits', () => {
    expect(value('ZIP', '56859 - 2278')).toEqual({ ZIP: '56859' });
    expect(value('ZIP', ' 94035 ')).toEqual({ ZIP: '94035' });
    expect(value('ZIP', '01310-100')).toEqual({ ZIP: '01310100' });
  });

  it('US states written with a dash, as an abbreviation, as an ISO 3166-2 code or as Washington, DC become the code', () => {
    expect(value('ST', 'Calif.')).toEqual({ ST: 'ca' });
    expect(value('ST', 'US-OR')).toEqual({ ST: 'or' });
    expect(value('ST', 'New-Jersey')).toEqual({ ST: 'nj' });
    expect(value('ST', 'Washington, DC')).toEqual({ ST: 'dc' });
    expect(value('ST', 'Washington, D.C.')).toEqual({ ST: 'dc' });
    expect(value('ST', 'N.Y.')).toEqual({ ST: 'ny' });
    expect(value('ST', 'W. Va.')).toEqual({ ST: 'wv' });
    expect(value('ST', 'Washington')).toEqual({ ST: 'wa' });
  });

  it('countries: names in several languages and codes become ISO alpha-2', () => {
    expect(value('COUNTRY', 'US')).toEqual({ COUNTRY: 'us' });
    expect(value('COUNTRY', 'United States')).toEqual({ COUNTRY: 'us' });
    expect(value('COUNTRY', 'Norway')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'Norge')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'Deutschland')).toEqual({ COUNTRY: 'de' });
    expect(value('COUNTRY', 'GBR')).toEqual({ COUNTRY: 'gb' });
    expect(value('COUNTRY', 'Atlantis')).toBe('country-unknown');
  });

  it('country names give the current code, never a retired one', () => {
    const current: [string, string][] = [['France', 'fr'], ['United Kingdom', 'gb'], ['Russia', 'ru'], ['Serbia', 'rs'], ['DR Congo', 'cd'], ['Timor-Leste', 'tl'], ['Benin', 'bj'], ['Burkina Faso', 'bf']];
    for (const [name, code] of current) expect([name, value('COUNTRY', name)]).toEqual([name, { COUNTRY: code }]);
  });

  it('country codes: only current ISO 3166-1 ones; UK (reserved by ISO for the United Kingdom) is gb', () => {
    expect(value('COUNTRY', 'UK')).toEqual({ COUNTRY: 'gb' });
    for (const code of ['EU', 'EN', 'XX', 'FX', 'SU']) expect([code, value('COUNTRY', code)]).toEqual([code, 'country-unknown']);
    expect(value('COUNTRY', 'no')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'U.S.')).toEqual({ COUNTRY: 'us' });
  });

  it('country alpha-3 codes: all of ISO 3166-1', () => {
    expect(value('COUNTRY', 'PER')).toEqual({ COUNTRY: 'pe' });
    expect(value('COUNTRY', 'nor')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'BFA')).toEqual({ COUNTRY: 'bf' });
    expect(value('COUNTRY', 'ZZZ')).toBe('country-unknown');
  });

  it('country names in Norwegian and other languages, accents optional; a name of two countries is not guessed', () => {
    expect(value('COUNTRY', 'Storbritannia')).toEqual({ COUNTRY: 'gb' });
    expect(value('COUNTRY', 'Øst-Timor')).toEqual({ COUNTRY: 'tl' });
    expect(value('COUNTRY', 'Sverige')).toEqual({ COUNTRY: 'se' });
    expect(value('COUNTRY', "Cote d'Ivoire")).toEqual({ COUNTRY: 'ci' });
    expect(value('COUNTRY', 'Congo')).toBe('country-unknown');
  });

  it('passes digests through (lowercased) and keeps MADID and EXTERN_ID unhashed', () => {
    const digest = sha256('x').toUpperCase();
    expect(value('EMAIL', digest)).toEqual({ EMAIL: digest.toLowerCase() });
    expect(value('MADID', 'AB12-CD34')).toEqual({ MADID: 'ab12-cd34' });
    expect(value('EXTERN_ID', ' CRM-42 ')).toEqual({ EXTERN_ID: 'CRM-42' });
  });
});

describe('rows', () => {
  it('builds one schema in a fixed order with DOB split, hashing all but MADID/EXTERN_ID', () => {
    expect(facebookSchema(['ZIP', 'DOB', 'EMAIL', 'EXTERN_ID'])).toEqual(['EMAIL', 'DOBY', 'DOBM', 'DOBD', 'ZIP', 'EXTERN_ID']);
    const { schema, adds, removes, counts } = facebookRows(['EMAIL', 'PHONE', 'EXTERN_ID'], [
      { op: 'add', identifiers: { EMAIL: 'Mary@Example.com', PHONE: '+1 (650) 555-1212', EXTERN_ID: 'crm-1' } },
      { op: 'remove', identifiers: { EMAIL: 'bad', PHONE: '+47 912 34 567' } },
      { op: 'add', identifiers: { EMAIL: 'nope', PHONE: 'none' } },
      { op: 'add', identifiers: {} },
    ]);
    expect(schema).toEqual(['EMAIL', 'PHONE', 'EXTERN_ID']);
    expect(adds).toEqual([['f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79', 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176', 'crm-1']]);
    expect(removes).toEqual([['', sha256('4791234567'), '']]);
    expect(counts).toEqual({ droppedValues: { 'email-invalid': 2, 'phone-no-digits': 1 }, rejectedRows: 2 });
    expect(JSON.stringify({ adds, removes, counts })).not.toMatch(/mary|example|nope/i);
  });

  it("a phone without a country code takes the row's COUNTRY, else the default country", () => {
    const changes: PlainChange[] = [
      { op: 'add', identifiers: { PHONE: '020 7946 0958', COUNTRY: 'United Kingdom' } },
      { op: 'add', identifiers: { PHONE: '912 34 567' } },
    ];
    expect(facebookRows(['PHONE', 'COUNTRY'], changes, { defaultCountry: 'NO' }).adds).toEqual([
      [sha256('442079460958'), sha256('gb')],
      [sha256('4791234567'), ''],
    ]);
    expect(facebookRows(['PHONE'], changes).counts).toEqual({ droppedValues: { 'phone-no-country-code': 2 }, rejectedRows: 2 });
  });

  it('Microsoft: hashed emails only; rows without a usable email rejected and counted', () => {
    const result = microsoftEmails([
      { op: 'add', identifiers: { EMAIL: 'test@contoso.com' } },
      { op: 'remove', identifiers: { EMAIL: 'nobody' } },
      { op: 'add', identifiers: {} },
    ]);
    expect(result).toEqual({ adds: ['f25ad364d33972379a7a4f4df33db142205f5c40eb19cfdb2fc5aaf117e10101'], removes: [], counts: { droppedValues: { 'email-invalid': 1, empty: 1 }, rejectedRows: 2 } });
  });
});
