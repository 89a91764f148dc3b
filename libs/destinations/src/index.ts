export * from './destination';
export * from './delivery-parts';
export { facebookAdsDelivery } from './facebook-ads/delivery';
export { microsoftAdvertisingDelivery } from './microsoft-advertising/delivery';
