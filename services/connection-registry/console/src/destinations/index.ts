import type { DestinationId } from '../views.js';
import type { ConsoleDestination } from './destination.js';
import { facebookAds } from './facebook-ads.js';
import { microsoftAdvertising } from './microsoft-advertising.js';

/** Every destination the console offers; a new one is one file and one line here. */
export const destinations: Record<DestinationId, ConsoleDestination> = {
  'facebook-ads': facebookAds,
  'microsoft-advertising': microsoftAdvertising,
};

export const destinationOf = (id: DestinationId): ConsoleDestination => destinations[id];
