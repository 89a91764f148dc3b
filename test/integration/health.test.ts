import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installKafka, LocalKafka, startKafka } from '../../deploy/local/kafka';
import { freePort } from '../../deploy/local/process';
import { AppModule } from '../../services/identifier-hasher/src/app.module';
import { eventually } from '../support/env';

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
    await app.listen(0, '127.0.0.1');
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
