import { Server } from 'node:http';
import { z, ZodError } from 'zod';
import { BadRequestBody, createServer, EmulatorRequest, EmulatorResponse, listen, readRequest, RequestLogEntry, Router, send } from './http-kit';
import { Faults, ScriptedAnswer, scriptedErrorSchema } from './faults';

export interface EmulatorDefinition {
  name: string;
  /** The emulated platform API. Faults apply here. */
  api: Router;
  /** Inspection and admin routes, served under /_emulator. */
  inspection: Router;
  faults: Faults;
  /** The platform's own answer for an injected fault or an unmatched route. */
  faultResponse(kind: 'server-error' | 'rate-limit', req: EmulatorRequest): EmulatorResponse;
  /** Reads one `errorsNext` entry of POST /_emulator/faults into the platform's answer; throws on a bad one. */
  scriptedFault?(error: unknown): ScriptedAnswer;
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

/** `errorsNext`: errors in the platform's shape for the next calls, e.g. Facebook's `{"code": 613, "times": 3}`. */
const scriptRequestSchema = z.object({ errorsNext: z.array(scriptedErrorSchema).optional() });

export async function startEmulator(definition: EmulatorDefinition, port: number, host = '127.0.0.1'): Promise<RunningEmulator> {
  const requests: RequestLogEntry[] = [];
  const faultsView = () => ({ ...definition.faults.settings, scriptedErrorsPending: definition.faults.scriptedPending });
  definition.inspection
    .add('GET', '/_emulator/requests', (req) => {
      const limit = Number(req.query.get('limit') ?? 200);
      return { status: 200, body: { requests: requests.slice(-limit) } };
    })
    .add('GET', '/_emulator/faults', () => ({ status: 200, body: faultsView() }))
    .add('POST', '/_emulator/faults', (req) => {
      const { errorsNext = [] } = scriptRequestSchema.parse(req.body);
      if (errorsNext.length > 0 && !definition.scriptedFault) return { status: 400, body: { error: `the ${definition.name} emulator cannot script errors` } };
      // Every entry is read before any is queued: a bad request changes nothing.
      const scripted = errorsNext.map((e) => ({ answer: definition.scriptedFault!(e), times: e.times }));
      definition.faults.update(req.body);
      for (const { answer, times } of scripted) definition.faults.script(answer, times);
      return { status: 200, body: faultsView() };
    })
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
          const scripted = definition.faults.nextScripted();
          const fault = scripted ? undefined : definition.faults.draw();
          const route = definition.api.match(req.method, req.path);
          response = scripted ? scripted(req) : fault ? definition.faultResponse(fault, req) : route ? await route.handler(req, route.params) : definition.notFound(req);
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
