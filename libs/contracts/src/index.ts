export * from './segment-events';
export * from './export-config';
export * from './audience-changes';
export * from './run-status';
export * from './topics';
