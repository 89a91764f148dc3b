export * from './metric';
export * from './metrics.module';
