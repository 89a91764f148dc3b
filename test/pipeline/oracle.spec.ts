import { createHash } from 'node:crypto';
import { oracleFacebookRow, oracleMicrosoftEmail, rowText } from './oracle';

/**
 * The property test's oracle against the platforms' published examples. The digests are the test
 * vectors of Meta's customer-file normalisation guide and of Microsoft's Customer Match email rule,
 * as gathered in /work/shared/reference/facebook-custom-audiences.md and
 * microsoft-advertising-customer-match.md (libs/identifiers/src/normalize.spec.ts checks the product
 * against the same ones).
 */
const META_MARY_EMAIL = 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79'; // sha256('mary@example.com')
const META_PHONE = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'; // sha256('16505551212'), from '+1 (650) 555-1212'
const META_MARY = '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec'; // sha256('mary')
const MICROSOFT_TEST_EMAIL = 'f25ad364d33972379a7a4f4df33db142205f5c40eb19cfdb2fc5aaf117e10101'; // sha256('test@contoso.com')

describe('the property test oracle', () => {
  it("gives Meta's published digests for email, phone and first name", () => {
    expect(oracleFacebookRow(['EMAIL', 'PHONE', 'FN'], { EMAIL: ' Mary@Example.COM ', PHONE: '+1 (650) 555-1212', FN: 'Mary' })).toEqual({ EMAIL: META_MARY_EMAIL, PHONE: META_PHONE, FN: META_MARY });
  });

  it("gives Microsoft's published digest, trimmed and lowercased", () => {
    expect(oracleMicrosoftEmail(' Test@Contoso.com')).toBe(MICROSOFT_TEST_EMAIL);
    expect(oracleMicrosoftEmail('not-an-email')).toBeUndefined();
    expect(oracleMicrosoftEmail(undefined)).toBeUndefined();
  });

  it('drops leading zeros of phones, keeps accented letters of names, splits a date of birth', () => {
    const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');
    expect(oracleFacebookRow(['PHONE', 'FN', 'LN', 'DOB'], { PHONE: '0047 912 34 567', FN: 'Valéry', LN: "O'Brien", DOB: '19870309' })).toEqual({
      PHONE: sha256('4791234567'),
      FN: sha256('valéry'),
      LN: sha256('obrien'),
      DOBY: sha256('1987'),
      DOBM: sha256('03'),
      DOBD: sha256('09'),
    });
    expect(oracleFacebookRow(['PHONE', 'DOB'], { PHONE: '+47 91234567', DOB: '1987-03-09' })).toEqual({ PHONE: sha256('4791234567'), DOBY: sha256('1987'), DOBM: sha256('03'), DOBD: sha256('09') });
  });

  it('leaves a missing or unusable value empty, and rejects a row with nothing usable', () => {
    expect(oracleFacebookRow(['EMAIL', 'PHONE'], { EMAIL: 'not-an-email', PHONE: '+1 (650) 555-1212' })).toEqual({ EMAIL: '', PHONE: META_PHONE });
    expect(oracleFacebookRow(['EMAIL', 'DOB'], { EMAIL: 'a@b', DOB: '1987-02-30' })).toBeUndefined();
    expect(rowText({ PHONE: 'p', EMAIL: 'e' })).toBe('EMAIL=e|PHONE=p');
  });
});
