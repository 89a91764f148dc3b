import { ExportConfig, HashedSegmentEvent, SegmentEvent } from '@audience-sync/contracts';
import { attributeRules } from '@audience-sync/destinations';
import { hashEvent, PlacedEvent, Placement } from '@audience-sync/identifiers';

/**
 * The hasher in front of an engine under test: upstream events hashed by the rules of these
 * export configurations, as the identifier-hasher service does once it has applied them, cut for
 * `placement`'s partitions (one unless given), in the order the hasher writes them, each with its partition.
 */
export function hashPlaced(configs: ExportConfig[], placement?: Placement): (events: SegmentEvent[]) => PlacedEvent[] {
  const rules = attributeRules(configs);
  return (events) => events.flatMap((event) => hashEvent(event, rules, placement));
}

/** As hashPlaced, the events alone. */
export function hashFirst(configs: ExportConfig[], placement?: Placement): (events: SegmentEvent[]) => HashedSegmentEvent[] {
  const placed = hashPlaced(configs, placement);
  return (events) => placed(events).map((p) => p.event);
}
