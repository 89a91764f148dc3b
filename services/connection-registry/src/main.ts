import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configureHttp } from './http/configure-http';
import { serviceConfigSchema } from './http/http-config';

main(() =>
  runService({
    name: 'connection-registry',
    config: serviceConfigSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.REGISTRY_PORT,
    configure: configureHttp,
  }),
);
