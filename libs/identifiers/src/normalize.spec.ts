import { normalize } from './normalize';
import { facebookRows, facebookSchema, microsoftEmails, sha256 } from './hashing';

const value = (key: string, raw: string) => {
  const r = normalize(key, raw);
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

  it('phones: digits only, leading zeros dropped, country code kept', () => {
    expect(value('PHONE', '0047 912 34 567')).toEqual({ PHONE: '4791234567' });
    expect(value('PHONE', '+44 (0)20 7946 0958')).toEqual({ PHONE: '4402079460958' });
    expect(value('PHONE', 'call me')).toBe('phone-no-digits');
    expect(value('PHONE', '+0000000000')).toBe('phone-no-digits');
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

  it('countries: names in several languages and codes become ISO alpha-2', () => {
    expect(value('COUNTRY', 'US')).toEqual({ COUNTRY: 'us' });
    expect(value('COUNTRY', 'United States')).toEqual({ COUNTRY: 'us' });
    expect(value('COUNTRY', 'Norway')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'Norge')).toEqual({ COUNTRY: 'no' });
    expect(value('COUNTRY', 'Deutschland')).toEqual({ COUNTRY: 'de' });
    expect(value('COUNTRY', 'GBR')).toEqual({ COUNTRY: 'gb' });
    expect(value('COUNTRY', 'Atlantis')).toBe('country-unknown');
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
      { op: 'remove', identifiers: { EMAIL: 'bad', PHONE: '555 1234' } },
      { op: 'add', identifiers: { EMAIL: 'nope', PHONE: 'none' } },
      { op: 'add', identifiers: {} },
    ]);
    expect(schema).toEqual(['EMAIL', 'PHONE', 'EXTERN_ID']);
    expect(adds).toEqual([['f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79', 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176', 'crm-1']]);
    expect(removes).toEqual([['', sha256('5551234'), '']]);
    expect(counts).toEqual({ droppedValues: { 'email-invalid': 2, 'phone-no-digits': 1 }, rejectedRows: 2 });
    expect(JSON.stringify({ adds, removes, counts })).not.toMatch(/mary|example|nope/i);
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
