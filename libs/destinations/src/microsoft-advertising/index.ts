import { microsoftAdvertisingDelivery } from './delivery';
import { microsoftRegistry } from './registry';
import { microsoftStream } from './stream';

/** Microsoft Advertising Customer Match lists: every piece of this destination, for `destinations`. */
export const microsoftAdvertising = {
  id: 'microsoft-advertising',
  stream: microsoftStream,
  registry: microsoftRegistry,
  delivery: microsoftAdvertisingDelivery,
} as const;
