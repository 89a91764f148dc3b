export * from './destination';
export * from './stream-parts';
export * from './streams';
export * from './registry-parts';
export * from './registry-http';
export * from './facebook-ads/registry';
export * from './microsoft-advertising/registry';
