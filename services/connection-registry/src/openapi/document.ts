import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, OperationObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { SESSION_COOKIE } from '../session/session-cookie';
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
/** The console's session cookie (POST /session), which opens every operation an API key opens. */
export const SESSION = 'session';

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

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** Where an operation takes an API key, the console's session is an alternative to it. */
function offerSession(operation: OperationObject): void {
  const security = operation.security ?? [];
  if (security.some((requirement) => BEARER in requirement) && !security.some((requirement) => SESSION in requirement)) operation.security = [...security, { [SESSION]: [] }];
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
          'Authenticate with "Authorization: Bearer <API key>" (REGISTRY_API_KEYS), or, in the admin console, with the session cookie POST /session sets ' +
          '(changes then need the session\'s X-CSRF-Token header). Lists are pages: pass `nextCursor` as `cursor` for the next one. ' +
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
      .addTag('session', "The admin console's sign-in with an API key")
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key of REGISTRY_API_KEYS, with its role (administrator or contributor).' }, BEARER)
      .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The admin console\'s session (POST /session); with it, POST, PUT, PATCH and DELETE need the X-CSRF-Token header.' }, SESSION)
      .build(),
  );
  for (const item of Object.values(document.paths)) for (const method of METHODS) if (item[method]) offerSession(item[method]);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...components() } };
  return document;
}
