import { facebookRegistry } from '.';

const connection = (audienceId?: string) => ({ id: 'c1', settings: audienceId ? { adAccountId: '1', audienceId, audienceName: 'a' } : null });

describe('the registry parts of Facebook Ads', () => {
  it('asks for every key the key identifier needs, by path under the facebook block', () => {
    const problems = facebookRegistry.checkExport({ keyIdentifier: 'name-and-address', mappings: { FN: 'First' } }, connection('2'), undefined);
    expect(problems.map((p) => p.path)).toEqual(['mappings.LN', 'mappings.ZIP']);
  });

  it('needs an audience: the export its own, the one it feeds, or the connection one', () => {
    const body = { keyIdentifier: 'email' as const, mappings: { EMAIL: 'Email' } };
    expect(facebookRegistry.checkExport(body, connection(), undefined)).toEqual([expect.objectContaining({ path: 'audience' })]);
    expect(facebookRegistry.checkExport(body, connection('2'), undefined)).toEqual([]);
    expect(facebookRegistry.checkExport({ ...body, audience: { adAccountId: 'act_1', audienceId: '3' } }, connection(), undefined)).toEqual([]);
    expect(facebookRegistry.checkExport(body, connection(), { ...body, audience: { adAccountId: '1', audienceId: '3', audienceName: 'b' } })).toEqual([]);
  });

  it('waits for an audience on a signed-in connection until one is chosen', () => {
    expect(facebookRegistry.awaitingSetup('c1', null)).toMatch(/PUT \/connections\/c1\/facebook\/audience/);
    expect(facebookRegistry.awaitingSetup('c1', connection('2').settings)).toBeUndefined();
  });

  it('carries the default country of phone numbers to the pipeline, and a new one re-examines what was sent', () => {
    const stored = { keyIdentifier: 'email' as const, mappings: { EMAIL: 'Email', PHONE: 'Mobile' }, audience: { adAccountId: '1', audienceId: '3', audienceName: 'b' } };
    expect(facebookRegistry.toDestination({ ...stored, defaultCountry: 'no' })).toMatchObject({ defaultCountry: 'NO' });
    expect(facebookRegistry.toDestination(stored)).not.toHaveProperty('defaultCountry');
    expect(facebookRegistry.identifiersKey({ ...stored, defaultCountry: 'NO' })).not.toEqual(facebookRegistry.identifiersKey(stored));
  });
});
