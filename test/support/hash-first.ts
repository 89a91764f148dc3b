import { ExportConfig, HashedSegmentEvent, SegmentEvent } from '@audience-sync/contracts';
import { attributeRules } from '@audience-sync/destinations';
import { hashEvent } from '@audience-sync/identifiers';

/**
 * The hasher in front of an engine under test: upstream events hashed by the rules of these
 * export configurations, as the identifier-hasher service does once it has applied them.
 */
export function hashFirst(configs: ExportConfig[]): (events: SegmentEvent[]) => HashedSegmentEvent[] {
  const rules = attributeRules(configs);
  return (events) => events.flatMap((event) => hashEvent(event, rules));
}
