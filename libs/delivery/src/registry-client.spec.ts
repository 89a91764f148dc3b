import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RegistryClient } from './registry-client';

describe('RegistryClient.reportExportProblem', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; path?: string; authorization?: string; body: string }[] = [];
  let status = 204;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, path: req.url, authorization: req.headers.authorization, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('posts the problem to the internal route with the internal token', async () => {
    await new RegistryClient(url, 'internal-token').reportExportProblem('export/1', 'choose another audience');
    expect(seen.at(-1)).toEqual({ method: 'POST', path: '/internal/exports/export%2F1/problem', authorization: 'Bearer internal-token', body: JSON.stringify({ problem: 'choose another audience' }) });
  });

  it('does not throw when the registry refuses or cannot be reached: the sink tries again', async () => {
    status = 404;
    await expect(new RegistryClient(url, 'internal-token').reportExportProblem('gone', 'x')).resolves.toBeUndefined();
    await expect(new RegistryClient('http://127.0.0.1:1', 'internal-token').reportExportProblem('e', 'x')).resolves.toBeUndefined();
  });
});
