import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { serveOpenApi } from './openapi';

main(() =>
  runService({
    name: 'connection-registry',
    config: configSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.REGISTRY_PORT,
    configure: serveOpenApi,
  }),
);
