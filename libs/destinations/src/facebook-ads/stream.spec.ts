import { ExportConfig } from '@audience-sync/contracts';
import { attributeRules, streamOf } from '../streams';

const config = (destination: Partial<Extract<ExportConfig['destination'], { type: 'facebook-ads' }>>, exportId = 'fb'): ExportConfig => ({
  exportId,
  version: 1,
  displayName: exportId,
  connectionId: 'c',
  connectionState: 'active',
  segments: [{ id: 's', name: 's' }],
  maxProfiles: 10,
  updatedAt: '2025-01-01T00:00:00Z',
  destination: { type: 'facebook-ads', adAccountId: '1', audienceId: '2', keyIdentifier: 'phone', mappings: { PHONE: 'Mobile' }, ...destination },
});

describe('Facebook identifier rules', () => {
  it('PHONE names the default country and the attribute mapped to COUNTRY', () => {
    expect(streamOf(config({})).rules).toEqual([['PHONE', 'Mobile']]);
    expect(streamOf(config({ mappings: { PHONE: 'Mobile', COUNTRY: 'Land' }, defaultCountry: 'NO' })).rules).toEqual([
      ['PHONE:NO@Land', 'Mobile'],
      ['COUNTRY', 'Land'],
    ]);
  });

  it('a new default country changes the fingerprint, so what was sent is looked at again', () => {
    expect(streamOf(config({ defaultCountry: 'NO' })).fingerprint).not.toBe(streamOf(config({ defaultCountry: 'SE' })).fingerprint);
  });

  it("the hasher hashes a phone attribute by each export's PHONE rule", () => {
    expect(attributeRules([config({ defaultCountry: 'NO' }, 'a'), config({}, 'b')]).get('Mobile')).toEqual(['PHONE', 'PHONE:NO']);
  });
});
