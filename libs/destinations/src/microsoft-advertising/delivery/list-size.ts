import { AudienceSize } from '@audience-sync/contracts';

/** A CustomerList as GetAudiencesByIds returns it (the size fields). */
export interface ListSizes {
  SearchSize?: number | null;
  AudienceNetworkSize?: number | null;
}

/** "The audience needs to have at least 300 people before Microsoft Advertising will use it" (Audience data object). */
const SERVES_FROM = 300;

/**
 * The run's reading of a Customer Match list: Microsoft gives no bounds, only SearchSize (people who
 * are active members in the Search network) and AudienceNetworkSize (the Audience network), both
 * counted after matching, both null until computed, which the notes put at up to 48 hours
 * (../shared/reference/microsoft-advertising-customer-match.md, "Operations"). The Search size is
 * recorded as both bounds; the Audience network's is in `detail`.
 */
export function listSizeOf(list: ListSizes): Omit<AudienceSize, 'checkedAt'> {
  const search = list.SearchSize;
  const network = typeof list.AudienceNetworkSize === 'number' ? `; Audience network ${list.AudienceNetworkSize}` : '';
  if (typeof search !== 'number') return { status: 'processing', detail: `Microsoft Advertising has not computed the list's size yet (it can take up to 48 hours)${network}` };
  return { sizeLowerBound: search, sizeUpperBound: search, status: search < SERVES_FROM ? 'too-small' : 'ready', detail: `Microsoft Advertising: Search network ${search}${network}` };
}
