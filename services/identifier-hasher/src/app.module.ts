import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule, MetricsModule } from '@audience-sync/runtime';
import { HasherConfig } from './config';
import { topics } from './topics';
import { HasherConsumer } from './hasher.consumer';

@Module({})
export class AppModule {
  static forRoot(config: HasherConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'identifier-hasher', brokers: config.KAFKA_BROKERS, topics, personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS }),
        HealthModule.forRoot({ database: false }),
        MetricsModule,
      ],
      controllers: [HasherConsumer],
    };
  }
}
