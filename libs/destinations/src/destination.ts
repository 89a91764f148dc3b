import { Destination } from '@audience-sync/contracts';

/**
 * Everything one destination knows lives in its folder (`facebook-ads/`, `microsoft-advertising/`)
 * and is reached through `destinations` below; services ask here instead of branching on an id.
 * Typed as a record over every destination id, so a destination missing a piece does not compile.
 */
export type DestinationId = Destination;
