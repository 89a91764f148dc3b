import { DynamicModule, Module } from '@nestjs/common';
import { SinkHostModule } from '@audience-sync/delivery';
import { microsoftAdvertisingDelivery } from '@audience-sync/destinations';
import { SinkMicrosoftConfig } from './config';

/** sink-microsoft-ads: the shared sink host running Microsoft Advertising's delivery. */
@Module({})
export class AppModule {
  static forRoot(config: SinkMicrosoftConfig): DynamicModule {
    return { module: AppModule, imports: [SinkHostModule.forRoot(microsoftAdvertisingDelivery, config, config.SINK_MICROSOFT_CONCURRENCY)] };
  }
}
