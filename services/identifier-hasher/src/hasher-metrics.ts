import { HashedAttributes, HashedSegmentEvent, SegmentEvent } from '@audience-sync/contracts';
import { counter } from '@audience-sync/runtime';

const eventsIn = counter({ name: 'hasher_events_total', help: 'Upstream segment events hashed, by type', labelNames: ['type'] });
const hashed = counter({ name: 'hasher_values_hashed_total', help: 'Attribute values an export rule hashed' });
const dropped = counter({ name: 'hasher_values_dropped_total', help: "Attribute values an export rule could not use, by the normaliser's reason (e.g. a malformed email)", labelNames: ['reason'] });

/** Counts a batch: events by type, and each rule output of their attributes as hashed or dropped (`!reason`). */
export function countHashed(events: readonly SegmentEvent[], out: readonly HashedSegmentEvent[]): void {
  for (const event of events) eventsIn.inc({ type: event.type });
  let digests = 0;
  const drops = new Map<string, number>();
  const output = (value: string) => {
    if (value.startsWith('!')) drops.set(value.slice(1), (drops.get(value.slice(1)) ?? 0) + 1);
    else digests += 1;
  };
  const attributes = (values: HashedAttributes | null | undefined) => {
    for (const name in values) {
      const value = values[name];
      // '' is an attribute no rule applies to; one rule is written `RULE=output`, several as a record.
      if (typeof value === 'string') {
        if (value !== '') output(value.slice(value.indexOf('=') + 1));
      } else if (value) for (const rule in value) output(value[rule]);
    }
  };
  for (const event of out) {
    if (event.type === 'refresh') for (const member of event.members) attributes(member.attributes);
    else if (event.type !== 'erase') attributes(event.attributes);
  }
  if (digests > 0) hashed.inc(digests);
  for (const [reason, n] of drops) dropped.inc({ reason }, n);
}
