import { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from './config';
import { openApiDocument } from './openapi/document';

/** Serves the OpenAPI description at /openapi.json and a browsable page at /docs. */
export function serveOpenApi(app: INestApplication): void {
  const config = app.get<RegistryConfig>(APP_CONFIG);
  SwaggerModule.setup('docs', app, openApiDocument(app, config.REGISTRY_PUBLIC_URL), { jsonDocumentUrl: 'openapi.json', swaggerOptions: { persistAuthorization: true } });
}
