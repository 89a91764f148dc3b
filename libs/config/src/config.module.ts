import { DynamicModule, Global, Module } from '@nestjs/common';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Makes the configuration read at start-up injectable as APP_CONFIG. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot<T extends object>(config: T): DynamicModule {
    return { module: AppConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
