import { z } from 'zod';
import { HashedBatch } from '@audience-sync/delivery';
import { DestinationId } from './destination';
import { DeliveryParts } from './delivery-parts';
import { facebookAds } from './facebook-ads';
import { microsoftAdvertising } from './microsoft-advertising';
import { RegistryParts } from './registry-parts';
import { StreamParts } from './stream-parts';

/** One destination: what the hasher and streamer, the registry and its sink ask about it. */
export interface DestinationModule<D extends DestinationId> {
  id: D;
  stream: StreamParts<D>;
  registry: RegistryParts;
  delivery: DeliveryParts<HashedBatch, z.ZodRawShape>;
}

/**
 * The one place services ask about a destination. Keyed by every destination id of the contracts,
 * so a destination that lacks a module, or a module that lacks a piece, does not compile.
 */
export const destinations = {
  'facebook-ads': facebookAds,
  'microsoft-advertising': microsoftAdvertising,
} satisfies { [D in DestinationId]: DestinationModule<D> };
