import { destinationSchema } from '@audience-sync/contracts';
import { allRegistryParts } from '@audience-sync/destinations';
import { openApiSchema } from './common/zod-body';
import { createConnectionBody } from './connections/connection.dto';
import { createExportBody, updateExportBody } from './exports/export.dto';

const consent = { agreed: true };

/** The API accepts exactly the destinations that have registry parts, and says so in its OpenAPI description. */
describe('the destinations the registry API accepts', () => {
  it('creates a connection for every destination in the contracts, and for no other', () => {
    for (const destination of destinationSchema.options) expect(createConnectionBody.safeParse({ displayName: 'c', destination, consent }).success).toBe(true);
    expect(createConnectionBody.safeParse({ displayName: 'c', destination: 'google-ads', consent }).success).toBe(false);
  });

  it('describes the same destinations in the OpenAPI body of POST /connections', () => {
    const schema = openApiSchema(createConnectionBody) as { properties: { destination: { enum: string[] } } };
    expect(schema.properties.destination.enum).toEqual(destinationSchema.options);
  });

  it.each([
    ['create', createExportBody, { displayName: 'e', connectionId: 'c1', segments: [{ id: 's', name: 's' }] }],
    ['update', updateExportBody, { displayName: 'e' }],
  ])('has one settings block per destination in the %s export body, and refuses an unknown one', (_name, body, valid) => {
    const schema = openApiSchema(body) as { properties: Record<string, unknown>; additionalProperties?: boolean };
    for (const parts of allRegistryParts) expect(schema.properties[parts.settingsKey]).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    expect(body.safeParse(valid).success).toBe(true);
    expect(body.safeParse({ ...valid, google: { customerId: '1' } }).success).toBe(false);
  });
});
