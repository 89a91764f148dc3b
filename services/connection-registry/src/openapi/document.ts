import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { viewSchemas } from './view-schemas';

/**
 * OpenAPI 3.1, not 3.0: 3.1's schemas are JSON Schema 2020-12, which is what zod emits for the
 * request bodies and the answers (`const`, `propertyNames`, `prefixItems`, type arrays for null),
 * so the description says exactly what the validation does instead of a lossy 3.0 translation.
 * Redocly and Spectral lint 3.1, Swagger UI 5 (/docs) renders it, and openapi-typescript types it.
 */
const OPENAPI_VERSION = '3.1.0';

/** The scheme's name: every keyed operation refers to it (@ApiBearerAuth()). */
export const BEARER = 'bearer';

/**
 * The answers' schemas as components, so a generated client names their types (Run, Export, …);
 * one registered inside another (a page's items) is a $ref to it.
 */
function components(): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(viewSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...json }]) => [id, json]));
}

/** The registry's OpenAPI description, its server the address clients reach it at. */
export function openApiDocument(app: INestApplication, publicUrl: string): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion(OPENAPI_VERSION)
      .setTitle('audience-sync connection registry')
      .setDescription(
        'Connections to Facebook Ads and Microsoft Advertising, exports of segments, and their runs. ' +
          'Authenticate with "Authorization: Bearer <API key>" (REGISTRY_API_KEYS). Lists are pages: pass `nextCursor` as `cursor` for the next one. ' +
          'Every error is `{ error: { code, message, details? } }`.',
      )
      .setVersion('1')
      .setLicense('UNLICENSED', 'https://en.wikipedia.org/wiki/Proprietary_software')
      .addServer(publicUrl, 'this registry (REGISTRY_PUBLIC_URL)')
      .addTag('connections', 'Signed-in accounts at an ad platform, and their default audience')
      .addTag('oauth', 'Signing a connection in with its provider')
      .addTag('exports', 'Segments sent to a connection, and their runs')
      .addTag('profiles', "A data subject's erasure")
      .addTag('audit', 'Who changed what, and when')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key of REGISTRY_API_KEYS, with its role (administrator or contributor).' }, BEARER)
      .build(),
  );
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...components() } };
  return document;
}
