export * from './destination';
export * from './registry-parts';
export * from './registry-http';
export * from './facebook-ads/registry';
export * from './microsoft-advertising/registry';
