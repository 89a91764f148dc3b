import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A request as the emulators see it: path, query, parsed body (form or JSON) and headers. */
export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Form fields or JSON object; values of form fields stay strings. */
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  rawBodyBytes: number;
}

export interface EmulatorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Set to redirect instead of sending JSON. */
  redirect?: string;
  html?: string;
}

export type Handler = (req: EmulatorRequest, params: Record<string, string>) => EmulatorResponse | Promise<EmulatorResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  /** The path only: query strings and bodies may carry tokens or personal data. */
  path: string;
  status: number;
  ms: number;
  errorCode?: number | string;
}

export class BadRequestBody extends Error {}

/** A small router over node:http, fast enough not to be the bottleneck of a benchmark. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    this.routes.push({ method, pattern, names, handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method && route.method !== '*') continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      return { handler: route.handler, params: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
    }
    return undefined;
  }
}

const MAX_BODY = 64 * 1024 * 1024;

export async function readRequest(req: IncomingMessage): Promise<EmulatorRequest> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequestBody('request body too large');
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    if (type === 'application/json') {
      try {
        const parsed = JSON.parse(raw) as unknown;
        body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      } catch {
        throw new BadRequestBody('the JSON body could not be parsed');
      }
    } else {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, headers: req.headers, rawBodyBytes: size };
}

export function send(res: ServerResponse, response: EmulatorResponse): void {
  const headers = { ...response.headers };
  if (response.redirect) {
    res.writeHead(302, { ...headers, location: response.redirect, 'content-type': 'text/html' });
    res.end(`<a href="${response.redirect.replace(/"/g, '&quot;')}">continue</a>`);
    return;
  }
  if (response.html !== undefined) {
    res.writeHead(response.status, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(response.html);
    return;
  }
  const text = JSON.stringify(response.body ?? null);
  res.writeHead(response.status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export { createServer };
