import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule, MetricsModule } from '@audience-sync/runtime';
import { StreamerConfig } from './config';
import { topicsWithState } from './topics';
import { StreamerController } from './streamer.controller';

@Module({})
export class AppModule {
  static forRoot(config: StreamerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'segment-streamer', brokers: config.KAFKA_BROKERS, topics: topicsWithState(config.STREAMER_STATE_TOPIC), personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS }),
        HealthModule.forRoot({ database: false }),
        MetricsModule,
      ],
      controllers: [StreamerController],
    };
  }
}
