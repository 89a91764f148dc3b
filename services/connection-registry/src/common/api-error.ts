import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { ChoiceRefused, ProviderError } from '@audience-sync/destinations';

export interface FieldProblem {
  path: string;
  message: string;
}

/** Every error leaves the API in one shape: { error: { code, message, details? } }. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super({ error: { code, message, ...(details ? { details } : {}) } }, status);
  }
}

export const notFound = (what: string, id: string) => new ApiError(HttpStatus.NOT_FOUND, 'not_found', `${what} ${id} does not exist`);
export const conflict = (message: string) => new ApiError(HttpStatus.CONFLICT, 'conflict', message);
export const invalid = (message: string, details?: FieldProblem[]) => new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', message, details);
export const forbidden = (message = 'your role does not allow this') => new ApiError(HttpStatus.FORBIDDEN, 'forbidden', message);
export const unauthenticated = () => new ApiError(HttpStatus.UNAUTHORIZED, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
export const versionMismatch = (what: string, path: string, current: number, expected: number) =>
  new ApiError(
    HttpStatus.PRECONDITION_FAILED,
    'version_mismatch',
    `${what} is at version ${current}, not the version ${expected} your If-Match names; read it again (GET ${path}), apply your change to it and send its ETag in If-Match`,
  );
export const upstream = (message: string) => new ApiError(HttpStatus.BAD_GATEWAY, 'provider_error', message);

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    // What a destination's provider calls report, in the API's terms.
    const translated = exception instanceof ProviderError ? upstream(exception.message) : exception instanceof ChoiceRefused ? invalid(exception.message) : undefined;
    if (translated) {
      res.status(translated.getStatus()).json(translated.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Terminus' readiness answer says which dependency is down: operators and probes read it as is.
      if (isHealthCheckResult(exception.getResponse())) {
        res.status(status).json(exception.getResponse());
        return;
      }
      const code = status === 404 ? 'not_found' : status === 400 ? 'bad_request' : 'http_error';
      res.status(status).json({ error: { code, message: exception.message } });
      return;
    }
    this.logger.error(`unhandled error: ${(exception as Error).stack ?? String(exception)}`);
    res.status(500).json({ error: { code: 'internal_error', message: 'an internal error occurred; see the registry log' } });
  }
}

function isHealthCheckResult(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}
