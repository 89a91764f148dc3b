export * from './service-logger';
export * from './structured-message';
