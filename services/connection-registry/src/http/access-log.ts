import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import { StructuredMessage } from '@audience-sync/runtime';
import type { NextFunction, Request, Response } from 'express';
import type { Principal, ServicePrincipal } from '../auth/principal';

type Answered = Request & { principal?: Principal; service?: ServicePrincipal };

/**
 * Probes and scrapes come every few seconds: their answers are debug lines, not the access log —
 * a failing one too (readiness is 503 while a service starts): what made it fail is logged where it
 * happens (Kafka unreachable, a stuck consumer, a restore's progress).
 */
const probes = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One line per request, written when the answer is sent: method, the route's pattern
 * (`/connections/:id`, never the URL: no ids a caller made up, no query string, so the OAuth
 * callback's `code` and `state` never reach a log), status, duration and who called — the API
 * key's name or the pipeline service, never the key.
 */
@Injectable()
export class AccessLog implements NestMiddleware {
  private readonly logger = new Logger('AccessLog');

  use(request: Answered, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = matchedRoute(request);
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      const fields = { method: request.method, route, status: response.statusCode, durationMs, keyName: request.principal?.name, role: request.principal?.role, callerService: request.service?.service };
      const line = new StructuredMessage(fields, `${request.method} ${route} ${response.statusCode} ${durationMs} ms`);
      if (probes.has(route)) this.logger.debug(line);
      else this.logger.log(line);
    });
    next();
  }
}

/** The pattern Express matched, with the prefix of the router it is mounted on; a request no route took is "(unmatched)". */
function matchedRoute(request: Request): string {
  const path: unknown = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : '(unmatched)';
}
