export * from './kafka-client';
export * from './contract-producer';
export * from './batch-consumer';
export * from './kafka-health';
export * from './kafka.module';
export * from './topic-admin';
export * from './format-issues';
export * from './table-reader';
