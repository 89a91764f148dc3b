import { DynamicModule, Module } from '@nestjs/common';
import { SinkHostModule } from '@audience-sync/delivery';
import { destinations } from '@audience-sync/destinations';
import { MetricsModule } from '@audience-sync/runtime';
import { SinkMicrosoftConfig } from './config';

const { delivery } = destinations['microsoft-advertising'];

/** sink-microsoft-ads: the shared sink host running Microsoft Advertising's delivery. */
@Module({})
export class AppModule {
  static forRoot(config: SinkMicrosoftConfig): DynamicModule {
    return { module: AppModule, imports: [SinkHostModule.forRoot(delivery, config, config.SINK_MICROSOFT_CONCURRENCY), MetricsModule] };
  }
}
