import { facebookAdsDelivery } from './delivery';
import { facebookRegistry } from './registry';
import { facebookStream } from './stream';

/** Facebook customer-list Custom Audiences: every piece of this destination, for `destinations`. */
export const facebookAds = {
  id: 'facebook-ads',
  stream: facebookStream,
  registry: facebookRegistry,
  delivery: facebookAdsDelivery,
} as const;
