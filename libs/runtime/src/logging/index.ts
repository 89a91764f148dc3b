export * from './service-logger';
export * from './with-ids';
