import { DynamicModule, INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { ConfigError, loadConfig } from '@audience-sync/config';
import { ServiceName } from '@audience-sync/contracts';
import { KafkaBatchTransport } from '@audience-sync/kafka';
import { LogFormat, ServiceLogger } from './logging';

export interface ServiceDefinition<S extends z.ZodObject> {
  name: ServiceName;
  config: S;
  module: (config: z.infer<S>) => DynamicModule;
  port: (config: z.infer<S>) => number;
  /** Extra set-up before listening, e.g. the OpenAPI description. */
  configure?: (app: INestApplication, config: z.infer<S>) => void | Promise<void>;
}

/** Reads config (a bad value stops the process with a message naming the variable), boots, listens. */
export async function runService<S extends z.ZodObject>(definition: ServiceDefinition<S>): Promise<INestApplication> {
  let config: z.infer<S>;
  let module: DynamicModule;
  try {
    config = loadConfig(definition.name, definition.config);
    module = definition.module(config); // modules that read settings of their own (KafkaModule: KAFKA_SASL_*) check them here
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const { LOG_LEVEL = 'log', LOG_FORMAT = 'json' } = config as { LOG_LEVEL?: LogLevel; LOG_FORMAT?: LogFormat };
  const logger = new ServiceLogger(definition.name, LOG_LEVEL, LOG_FORMAT);
  Logger.overrideLogger(logger); // a failure from here on is a line in the service's format too
  const app = await NestFactory.create(module, { logger, abortOnError: false });
  app.enableShutdownHooks();
  await definition.configure?.(app, config);
  const host = (config as { HOST?: string }).HOST ?? '127.0.0.1';
  const port = definition.port(config);
  await serve(app, port, host);
  new Logger(definition.name).log(`listening on http://${host}:${port} (health: /health/live, /health/ready)`);
  return app;
}

/**
 * A hybrid app: the Kafka consumers run as a Nest transport beside the HTTP server (health, API).
 * Bootstrap hooks (reading tables to the end) finish before the handlers consume. The HTTP server
 * answers first, so readiness can say what start-up waits for (a state restore: holdUntil); it
 * reports ready once the consumers run.
 */
export async function serve(app: INestApplication, port: number, host: string): Promise<void> {
  app.connectMicroservice({ strategy: app.get(KafkaBatchTransport) });
  await app.init();
  await app.listen(port, host);
  await app.startAllMicroservices();
}

/** Entry point wrapper: an error during start-up is printed once and exits non-zero. */
export function main(start: () => Promise<unknown>): void {
  start().catch((error: Error) => {
    new Logger('main').error(`start-up failed: ${error.message}`, error.stack);
    process.exit(1);
  });
}
