export * from './segment-events';
export * from './hashed-events';
export * from './export-config';
export * from './audience-changes';
export * from './run-status';
export * from './config-applied';
export * from './topics';
