import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RegistryClient } from './registry-client';

/** A stand-in registry that records each request and answers with the status the test sets. */
describe('RegistryClient: the internal export routes', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; path?: string; authorization?: string; body: string }[] = [];
  let status = 204;
  const client = () => new RegistryClient(url, 'internal-token');

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, path: req.url, authorization: req.headers.authorization, body });
        if (status === 202) res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ runId: 'run-7' }));
        else res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  describe('reportExportProblem', () => {
    it('posts the problem to the internal route with the internal token', async () => {
      status = 204;
      await client().reportExportProblem('export/1', 'choose another audience');
      expect(seen.at(-1)).toEqual({ method: 'POST', path: '/internal/exports/export%2F1/problem', authorization: 'Bearer internal-token', body: JSON.stringify({ problem: 'choose another audience' }) });
    });

    it('does not throw when the registry refuses or cannot be reached: the sink tries again', async () => {
      status = 404;
      await expect(client().reportExportProblem('gone', 'x')).resolves.toBeUndefined();
      await expect(new RegistryClient('http://127.0.0.1:1', 'internal-token').reportExportProblem('e', 'x')).resolves.toBeUndefined();
    });
  });

  describe('reportTermsProblem', () => {
    it('posts the connection’s terms problem to the internal route with the internal token, and does not throw when refused', async () => {
      status = 204;
      await client().reportTermsProblem('conn/1', 'accept the terms in Ads Manager', new Date('2026-11-29T00:45:00.123Z'));
      expect(seen.at(-1)).toEqual({ method: 'POST', path: '/internal/connections/conn%2F1/terms-problem', authorization: 'Bearer internal-token', body: JSON.stringify({ problem: 'accept the terms in Ads Manager', refusedAt: '2026-11-29T00:45:00.123Z' }) });
      status = 403;
      await expect(client().reportTermsProblem('other', 'x', new Date())).resolves.toBeUndefined();
    });
  });

  describe('requestFullSync', () => {
    it('asks the internal route for a run, saying who asks, and returns the run id', async () => {
      status = 202;
      await expect(client().requestFullSync('export/1', 'sink-microsoft-ads')).resolves.toBe('run-7');
      expect(seen.at(-1)).toEqual({ method: 'POST', path: '/internal/exports/export%2F1/runs', authorization: 'Bearer internal-token', body: JSON.stringify({ requestedBy: 'sink-microsoft-ads' }) });
    });

    it('throws when the registry refuses or cannot be reached, so the caller keeps its batch', async () => {
      status = 503;
      await expect(client().requestFullSync('e', 'sink-microsoft-ads')).rejects.toThrow(/503.*full sync of export e/);
      await expect(new RegistryClient('http://127.0.0.1:1', 'internal-token').requestFullSync('e', 'sink-microsoft-ads')).rejects.toThrow(/full sync of export e/);
    });

    it('resolves without a run for an export the registry no longer has: there is nothing to fill', async () => {
      status = 404;
      await expect(client().requestFullSync('deleted', 'sink-microsoft-ads')).resolves.toBeUndefined();
    });
  });
});
