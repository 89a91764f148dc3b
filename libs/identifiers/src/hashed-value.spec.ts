import { hashAttributes, hashValue, readHashed, ruleOutput } from './hashed-value';
import { facebookRules, phoneRule } from './rule-names';

const digest = (rule: string, raw: string, country?: string) => readHashed(rule, hashValue(rule, raw, country));

describe('phone rules', () => {
  it("name the export's default country and the attribute that holds the profile's country", () => {
    expect(phoneRule()).toBe('PHONE');
    expect(phoneRule('no')).toBe('PHONE:NO');
    expect(phoneRule('NO', 'Country')).toBe('PHONE:NO@Country');
    expect(phoneRule(undefined, 'Land')).toBe('PHONE@Land');
  });

  it('fill the PHONE column, with the default country for a number without a country code', () => {
    expect(digest('PHONE:NO', '912 34 567')).toEqual(digest('PHONE', '+47 912 34 567'));
    expect(Object.keys((digest('PHONE:NO@Country', '912 34 567') as { columns: object }).columns)).toEqual(['PHONE']);
    expect(digest('PHONE', '912 34 567')).toEqual({ dropped: 'phone-no-country-code' });
  });

  it("take the profile's country over the default; an unknown country leaves the default", () => {
    expect(digest('PHONE:NO@Country', '020 7946 0958', 'United Kingdom')).toEqual(digest('PHONE', '+44 20 7946 0958'));
    expect(digest('PHONE:NO@Country', '912 34 567', 'Atlantis')).toEqual(digest('PHONE', '+47 912 34 567'));
    expect(digest('PHONE:NO', '020 7946 0958', 'United Kingdom')).toEqual({ dropped: 'phone-invalid' });
  });

  it("hashAttributes reads the country from the same event's attributes; without it the default applies", () => {
    const rules = new Map([
      ['Mobile', [phoneRule('NO', 'Country')]],
      ['Country', ['COUNTRY']],
    ]);
    const withCountry = hashAttributes({ Mobile: '020 7946 0958', Country: 'GB' }, rules);
    expect(ruleOutput(withCountry.Mobile!, 'PHONE:NO@Country')).toBe(hashValue('PHONE', '+442079460958'));
    const phoneOnly = hashAttributes({ Mobile: '912 34 567' }, rules);
    expect(ruleOutput(phoneOnly.Mobile!, 'PHONE:NO@Country')).toBe(hashValue('PHONE', '+4791234567'));
  });

  it('an attribute hashed by several exports gets each rule: PHONE rules of other countries give other digests', () => {
    const hashed = hashAttributes({ Mobile: '912 34 567' }, new Map([['Mobile', ['PHONE', 'PHONE:NO', 'PHONE:SE', 'PHONE:US']]]));
    expect(hashed.Mobile).toEqual({ PHONE: '!phone-no-country-code', 'PHONE:NO': hashValue('PHONE', '+4791234567'), 'PHONE:SE': hashValue('PHONE', '+4691234567'), 'PHONE:US': '!phone-invalid' });
  });
});

describe('facebookRules', () => {
  it('map each key to its attribute; PHONE carries the default country and the attribute mapped to COUNTRY', () => {
    expect(facebookRules({ EMAIL: 'Email', PHONE: 'Mobile' })).toEqual([
      ['EMAIL', 'Email'],
      ['PHONE', 'Mobile'],
    ]);
    expect(facebookRules({ PHONE: 'Mobile', COUNTRY: 'Land' }, 'NO')).toEqual([
      ['PHONE:NO@Land', 'Mobile'],
      ['COUNTRY', 'Land'],
    ]);
  });
});
