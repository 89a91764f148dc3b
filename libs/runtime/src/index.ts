export * from './health.controller';
export * from './health.module';
export * from './run-service';
export * from './common-config';
export * from './metrics';
export * from './logging';
