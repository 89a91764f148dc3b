import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configSchema } from './config';

main(() =>
  runService({
    name: 'segment-streamer',
    config: configSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.STREAMER_PORT,
  }),
);
