import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule } from '@audience-sync/runtime';
import { SinkFacebookConfig } from './config';
import { topics } from './topics';
import { SinkController } from './sink.controller';

@Module({})
export class AppModule {
  static forRoot(config: SinkFacebookConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'sink-facebook', brokers: config.KAFKA_BROKERS, topics, personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS, partitionsConsumedConcurrently: { 'sink-facebook': config.SINK_FACEBOOK_CONCURRENCY } }),
        HealthModule.forRoot({ database: false }),
      ],
      controllers: [SinkController],
    };
  }
}
