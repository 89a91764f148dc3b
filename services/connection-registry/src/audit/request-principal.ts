import { Injectable, NestMiddleware } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../auth/principal';

const requests = new AsyncLocalStorage<Request & { principal?: Principal }>();

/** Keeps the request for the audit log, which reads who acted from it (the auth guard sets the principal later, on the same object). */
@Injectable()
export class RequestScope implements NestMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    requests.run(request, next);
  }
}

/** The API key behind the request being handled, if any. */
export const requestPrincipal = (): Principal | undefined => requests.getStore()?.principal;
