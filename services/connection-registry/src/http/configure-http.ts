import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { serveOpenApi } from '../openapi';
import { BODY_LIMIT_BYTES, unreadableBody } from './unreadable-body';
import { consoleDirectory, serveConsole } from './console-assets';

/**
 * One policy for the JSON API, the /docs page and pages the registry renders: scripts only from the
 * registry itself, never inline; inline styles are allowed because Swagger UI sets them; no
 * framing, no plugins, no foreign hosts.
 */
const contentSecurityPolicy = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/** The registry's HTTP set-up before it listens: security headers, body limits and their errors, the OpenAPI pages, the console. */
export function configureHttp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.use(helmet({ contentSecurityPolicy, frameguard: { action: 'deny' } }));
  express.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
  express.useBodyParser('urlencoded', { limit: BODY_LIMIT_BYTES, extended: false });
  express.use(unreadableBody);
  serveOpenApi(app);
  serveConsole(express, consoleDirectory());
}
