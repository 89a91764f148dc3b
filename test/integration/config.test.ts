import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const entry = (service: string) => join(root, 'dist', 'services', service, 'src', 'main.js');

/** Runs a built service with the given environment only; `npm test` builds dist/ first. */
function runWith(service: string, env: Record<string, string>) {
  if (!existsSync(entry(service))) throw new Error(`${entry(service)} is missing: run npm run build`);
  return spawnSync(process.execPath, [entry(service)], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30000 });
}

describe('a bad environment stops a service with a message naming the variable', () => {
  it('lists every offending variable and exits with EX_CONFIG', () => {
    const result = runWith('identifier-hasher', { KAFKA_BROKERS: 'no-port-here', HASHER_PORT: '99999', LOG_LEVEL: 'chatty' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('identifier-hasher cannot start');
    expect(result.stderr).toMatch(/KAFKA_BROKERS: each broker must be host:port/);
    expect(result.stderr).toMatch(/HASHER_PORT: .*\(expected a TCP port number from 1 to 65535\)/);
    expect(result.stderr).toMatch(/LOG_LEVEL: .*one of error, warn, log, debug, verbose/);
  });

  it('says when a required variable is missing', () => {
    const result = runWith('connection-registry', { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/MONGODB_URI: is required but not set/);
  });
});
