import { Server } from 'node:http';
import { ZodError } from 'zod';
import { BadRequestBody, createServer, EmulatorRequest, EmulatorResponse, listen, readRequest, RequestLogEntry, Router, send } from './http-kit';
import { Faults } from './faults';

export interface EmulatorDefinition {
  name: string;
  /** The emulated platform API. Faults apply here. */
  api: Router;
  /** Inspection and admin routes, served under /_emulator. */
  inspection: Router;
  faults: Faults;
  /** The platform's own answer for an injected fault or an unmatched route. */
  faultResponse(kind: 'server-error' | 'rate-limit', req: EmulatorRequest): EmulatorResponse;
  notFound(req: EmulatorRequest): EmulatorResponse;
  badRequest(message: string): EmulatorResponse;
  /** Headers the platform adds to every answer (e.g. Microsoft's TrackingId). */
  commonHeaders?(): Record<string, string>;
  /** The error code of an answer, for the request log. */
  errorCodeOf(response: EmulatorResponse): number | string | undefined;
  reset(): void;
}

export interface RunningEmulator {
  url: string;
  port: number;
  requests: RequestLogEntry[];
  close(): Promise<void>;
}

const LOG_LIMIT = 5000;

export async function startEmulator(definition: EmulatorDefinition, port: number, host = '127.0.0.1'): Promise<RunningEmulator> {
  const requests: RequestLogEntry[] = [];
  definition.inspection
    .add('GET', '/_emulator/requests', (req) => {
      const limit = Number(req.query.get('limit') ?? 200);
      return { status: 200, body: { requests: requests.slice(-limit) } };
    })
    .add('GET', '/_emulator/faults', () => ({ status: 200, body: definition.faults.settings }))
    .add('POST', '/_emulator/faults', (req) => ({ status: 200, body: definition.faults.update(req.body) }))
    .add('POST', '/_emulator/reset', () => {
      definition.reset();
      definition.faults.reset();
      requests.length = 0;
      return { status: 200, body: { reset: true } };
    });

  const server: Server = createServer((incoming, res) => {
    const started = Date.now();
    void (async () => {
      let response: EmulatorResponse;
      let logged = true;
      try {
        const req = await readRequest(incoming);
        if (req.path.startsWith('/_emulator/')) {
          logged = false;
          const route = definition.inspection.match(req.method, req.path);
          response = route ? await route.handler(req, route.params) : { status: 404, body: { error: `no inspection route ${req.method} ${req.path}` } };
        } else {
          await definition.faults.delay();
          const fault = definition.faults.draw();
          const route = definition.api.match(req.method, req.path);
          response = fault ? definition.faultResponse(fault, req) : route ? await route.handler(req, route.params) : definition.notFound(req);
        }
      } catch (error) {
        if (error instanceof BadRequestBody) response = definition.badRequest(error.message);
        else if (error instanceof ZodError) response = { status: 400, body: { error: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
        else response = { status: 500, body: { error: (error as Error).message } };
      }
      response.headers = { ...definition.commonHeaders?.(), ...response.headers };
      send(res, response);
      if (logged) {
        requests.push({ at: new Date(started).toISOString(), method: incoming.method ?? '', path: (incoming.url ?? '').split('?')[0], status: response.status, ms: Date.now() - started, errorCode: definition.errorCodeOf(response) });
        if (requests.length > LOG_LIMIT) requests.splice(0, requests.length - LOG_LIMIT);
      }
    })();
  });
  server.keepAliveTimeout = 30000;
  const actualPort = await listen(server, port, host);
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
