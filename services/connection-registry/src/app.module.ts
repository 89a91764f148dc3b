import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule } from '@audience-sync/runtime';
import { RegistryConfig } from './config';
import { topics } from './topics';

@Module({})
export class AppModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'connection-registry', brokers: config.KAFKA_BROKERS, topics }),
        MongooseModule.forRoot(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }),
        HealthModule.forRoot({ database: true }),
      ],
    };
  }
}
