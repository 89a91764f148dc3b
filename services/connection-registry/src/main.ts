import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configureHttp } from './http/configure-http';
import { configSchema } from './config';

main(() =>
  runService({
    name: 'connection-registry',
    config: configSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.REGISTRY_PORT,
    configure: configureHttp,
  }),
);
