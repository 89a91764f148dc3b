import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule } from '@audience-sync/runtime';
import { SinkMicrosoftConfig } from './config';
import { topics } from './topics';
import { SinkController } from './sink.controller';

@Module({})
export class AppModule {
  static forRoot(config: SinkMicrosoftConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'sink-microsoft-ads', brokers: config.KAFKA_BROKERS, topics, personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS, partitionsConsumedConcurrently: { 'sink-microsoft-ads': config.SINK_MICROSOFT_CONCURRENCY } }),
        HealthModule.forRoot({ database: false }),
      ],
      controllers: [SinkController],
    };
  }
}
