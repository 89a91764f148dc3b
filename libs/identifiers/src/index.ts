export * from './normalize';
export * from './hashing';
export * from './row-key';
export * from './hashed-value';
export * from './hash-event';
export * from './rule-names';
export { countryCode } from './countries';
