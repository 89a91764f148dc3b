export * from './registry-client';
export * from './backoff';
export * from './run-tracker';
export * from './export-table';
export * from './sink-runner';
export * from './start-sink';
export * from './config-applied-reporter';
