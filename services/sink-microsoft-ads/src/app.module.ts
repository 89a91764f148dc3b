import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule } from '@audience-sync/runtime';
import { SinkMicrosoftConfig } from './config';
import { topics } from './topics';
import { SinkService } from './sink.service';

@Module({})
export class AppModule {
  static forRoot(config: SinkMicrosoftConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'sink-microsoft-ads', brokers: config.KAFKA_BROKERS, topics }),
        HealthModule.forRoot({ database: false }),
      ],
      providers: [SinkService],
    };
  }
}
