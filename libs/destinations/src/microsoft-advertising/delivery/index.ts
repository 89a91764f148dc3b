import { MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { DeliveryParts } from '../../delivery-parts';
import { CampaignClient } from './campaign-client';
import { microsoftDeliveryEnv } from './config';
import { CustomerMatchDelivery } from './customer-match-delivery';

export * from './campaign-client';
export * from './campaign-errors';
export * from './config';
export * from './customer-match-delivery';

/** Microsoft Advertising Customer Match lists, delivered by sink-microsoft-ads through Campaign Management. */
export const microsoftAdvertisingDelivery: DeliveryParts<MicrosoftChangeBatch, typeof microsoftDeliveryEnv> = {
  service: 'sink-microsoft-ads',
  changes: Topics.microsoftChanges,
  runStatus: Topics.runStatusFromMicrosoft,
  env: microsoftDeliveryEnv,
  create: (config, registry) => new CustomerMatchDelivery(new CampaignClient(config, registry), registry),
};
