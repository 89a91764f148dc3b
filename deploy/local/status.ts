import { servicePort, stackServices } from './stack';

/**
 * `npm run status`: each service's readiness. Exits 0 only when every service answers ready.
 * STATUS_HOST and the services' port variables select what is asked.
 */
async function status(): Promise<number> {
  const host = process.env.STATUS_HOST ?? '127.0.0.1';
  const rows = await Promise.all(
    stackServices.map(async (service) => {
      const url = `http://${host}:${servicePort(service)}/health/ready`;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = (await response.json().catch(() => ({}))) as { error?: Record<string, { message?: string }> };
        const problems = Object.entries(body.error ?? {}).map(([k, v]) => `${k}: ${v.message ?? 'down'}`);
        return { service: service.name, url, ready: response.ok, detail: response.ok ? 'ready' : `not ready (${problems.join('; ') || response.status})` };
      } catch (error) {
        return { service: service.name, url, ready: false, detail: `not answering (${(error as Error).message})` };
      }
    }),
  );
  const width = Math.max(...rows.map((r) => r.service.length));
  for (const row of rows) process.stdout.write(`${row.ready ? 'OK  ' : 'FAIL'} ${row.service.padEnd(width)}  ${row.url}  ${row.detail}\n`);
  const allReady = rows.every((r) => r.ready);
  process.stdout.write(allReady ? 'all services ready\n' : `${rows.filter((r) => !r.ready).length} of ${rows.length} services not ready\n`);
  return allReady ? 0 : 1;
}

status().then((code) => process.exit(code));
