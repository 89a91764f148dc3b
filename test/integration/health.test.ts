import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { serve } from '@audience-sync/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installKafka, LocalKafka, startKafka } from '../../deploy/local/kafka';
import { freePort } from '../../deploy/local/process';
import { AppModule } from '../../services/identifier-hasher/src/app.module';
import { startEmulators } from '../../tools/emulators/main';
import { eventually } from '../support/env';
import { OtherRegistry, startRegistry, startRegistryLike } from '../support/registry-harness';

/**
 * Readiness follows the broker: this test runs a broker of its own (the shared one must stay up
 * for the other tests), stops it, and starts it again on the same port and data.
 */
describe('readiness follows the Kafka broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'audience-sync-health-'));
  let libs: string;
  let ports: { port: number; controllerPort: number };
  let kafka: LocalKafka | undefined;
  let app: INestApplication;
  let url: string;

  const boot = () => startKafka(libs, { ...ports, dataDir, logFile: join(dataDir, 'kafka.log') });
  const ready = async () => (await fetch(`${url}/health/ready`)).status;

  beforeAll(async () => {
    libs = await installKafka(() => undefined);
    ports = { port: await freePort(), controllerPort: await freePort() };
    kafka = await boot();
    app = await NestFactory.create(AppModule.forRoot({ KAFKA_BROKERS: kafka.brokers, HOST: '127.0.0.1', LOG_LEVEL: 'error', HASHER_PORT: 0 }), { logger: ['error'] });
    await serve(app, 0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await kafka?.process.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves live always and ready while the broker answers; 503 within 10 s of a stop; recovers by itself', async () => {
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    await eventually(async () => (await ready()) === 200, 15000, 'ready');

    await kafka!.process.stop();
    const stoppedAt = Date.now();
    await eventually(async () => (await ready()) === 503, 10000, 'ready to turn 503');
    expect(Date.now() - stoppedAt).toBeLessThan(10000);
    const body = (await (await fetch(`${url}/health/ready`)).json()) as { error: { kafka: { status: string } } };
    expect(body.error.kafka.status).toBe('down');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);

    kafka = await boot();
    await eventually(async () => (await ready()) === 200, 30000, 'ready again after the broker returned');
  });
});

/**
 * A TCP relay to the shared database that the test can cut and restore on the same port, so one
 * service loses its database while the server stays up for the other test files.
 */
async function cuttableRelay(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      sockets.add(a);
      a.on('close', () => sockets.delete(a));
      a.on('error', () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

describe('readiness follows the database', () => {
  let registry: OtherRegistry;
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;
  let closeEmulators: () => Promise<void>;
  const ready = () => fetch(`${registry.url}/health/ready`);

  beforeAll(async () => {
    const emulators = await startEmulators();
    closeEmulators = emulators.close;
    // The harness's registry only lends its settings; this one reaches the database through the relay.
    const base = await startRegistry(emulators);
    await base.close();
    const direct = new URL(base.mongoUri);
    relay = await cuttableRelay(direct);
    const relayed = new URL(base.mongoUri);
    relayed.host = `127.0.0.1:${relay.port}`;
    registry = await startRegistryLike(base, { MONGODB_URI: relayed.toString() });
  });

  afterAll(async () => {
    await registry?.close();
    await relay?.cut();
    await closeEmulators?.();
  });

  it('the registry turns 503 while its database is unreachable, and 200 again by itself when it returns', async () => {
    await eventually(async () => (await ready()).status === 200, 15000, 'ready');

    await relay.cut();
    await eventually(async () => (await ready()).status === 503, 15000, 'ready to turn 503');
    // The answer names what is down, as every service's readiness does.
    expect(((await (await ready()).json()) as { error: Record<string, { status: string }> }).error.database.status).toBe('down');
    expect((await fetch(`${registry.url}/health/live`)).status).toBe(200);

    await relay.restore();
    await eventually(async () => (await ready()).status === 200, 30000, 'ready again after the database returned');
  });
});
