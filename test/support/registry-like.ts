import { NestFactory } from '@nestjs/core';
import { serve } from '@audience-sync/runtime';
import { loadConfig } from '@audience-sync/config';
import { AppModule } from '../../services/connection-registry/src/app.module';
import { configSchema } from '../../services/connection-registry/src/config';
import { freePort } from '../../deploy/local/process';
import { Registry } from './registry-harness';

export interface OtherRegistry {
  url: string;
  close(): Promise<void>;
}

/**
 * Another registry in-process with the settings of one the harness started, some changed (keys
 * after a rotation, the database behind a proxy), on a port of its own.
 */
export async function startRegistryLike(base: Registry, changes: Record<string, string>): Promise<OtherRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig('connection-registry', configSchema, { ...base.env, REGISTRY_PORT: String(port), REGISTRY_PUBLIC_URL: url, ...changes });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  await serve(app, port, '127.0.0.1');
  return { url, close: () => app.close() };
}
