import { DynamicModule, Module } from '@nestjs/common';
import { SinkHostModule } from '@audience-sync/delivery';
import { destinations } from '@audience-sync/destinations';
import { MetricsModule } from '@audience-sync/runtime';
import { SinkFacebookConfig } from './config';

const { delivery } = destinations['facebook-ads'];

/** sink-facebook: the shared sink host running Facebook's delivery. */
@Module({})
export class AppModule {
  static forRoot(config: SinkFacebookConfig): DynamicModule {
    return { module: AppModule, imports: [SinkHostModule.forRoot(delivery, config, config.SINK_FACEBOOK_CONCURRENCY), MetricsModule] };
  }
}
