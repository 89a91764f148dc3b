import { facebookExportBody } from './settings';

const body = (defaultCountry?: string) => ({ keyIdentifier: 'phone', mappings: { PHONE: 'Mobile' }, ...(defaultCountry === undefined ? {} : { defaultCountry }) });

describe('Facebook export settings', () => {
  it('take an optional default country as a current ISO 3166-1 alpha-2 code', () => {
    expect(facebookExportBody.parse(body()).defaultCountry).toBeUndefined();
    expect(facebookExportBody.parse(body('NO')).defaultCountry).toBe('NO');
    for (const wrong of ['Norway', 'NOR', 'UK', 'XX', 'EU']) expect([wrong, facebookExportBody.safeParse(body(wrong)).success]).toEqual([wrong, false]);
  });
});
