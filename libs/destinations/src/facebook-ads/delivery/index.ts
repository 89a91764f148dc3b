import { FacebookChangeBatch, Topics } from '@audience-sync/contracts';
import { DeliveryParts } from '../../delivery-parts';
import { facebookDeliveryEnv } from './config';
import { FacebookDelivery } from './facebook-delivery';
import { GraphClient } from './graph-client';

export * from './config';
export * from './facebook-delivery';
export * from './graph-client';
export * from './graph-errors';

/** Facebook custom audiences, delivered by sink-facebook through the Graph API. */
export const facebookAdsDelivery: DeliveryParts<FacebookChangeBatch, typeof facebookDeliveryEnv> = {
  service: 'sink-facebook',
  changes: Topics.facebookChanges,
  runStatus: Topics.runStatusFromFacebook,
  env: facebookDeliveryEnv,
  create: (config, registry) => new FacebookDelivery(new GraphClient(config, registry)),
};
