import 'reflect-metadata';
import { main, runService } from '@audience-sync/runtime';
import { AppModule } from './app.module';
import { configSchema } from './config';

main(() =>
  runService({
    name: 'sink-microsoft-ads',
    config: configSchema,
    module: (config) => AppModule.forRoot(config),
    port: (config) => config.SINK_MICROSOFT_ADS_PORT,
  }),
);
