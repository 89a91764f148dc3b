import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, USES_DATABASE } from './health.controller';

@Module({})
export class HealthModule {
  /** `database: true` adds a ping of the service's mongoose connection to readiness. */
  static forRoot(options: { database: boolean }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false })],
      controllers: [HealthController],
      providers: [{ provide: USES_DATABASE, useValue: options.database }],
    };
  }
}
