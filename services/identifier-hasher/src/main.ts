import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configSchema } from './config';

main(() =>
  runService({
    name: 'identifier-hasher',
    config: configSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.HASHER_PORT,
  }),
);
