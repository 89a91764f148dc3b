export * from './destination';
export * from './stream-parts';
export * from './streams';
