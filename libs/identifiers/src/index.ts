export * from './normalize';
export * from './hashing';
export * from './row-key';
