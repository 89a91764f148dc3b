import { Destination } from '@audience-sync/contracts';

/** A destination's id, as export configurations carry it (the contracts list every one). */
export type DestinationId = Destination;
