import { HashedSegmentEvent, REFRESH_SLICES, refreshSliceNumber, SegmentEvent } from '@audience-sync/contracts';
import { hashAttributes } from './hashed-value';

/** How the hashed topic is partitioned: by profile, so everything about a profile meets on one partition. */
export interface Placement {
  partitions: number;
  /** The partition (0 … partitions-1) of a profile's events. */
  partitionOf(profileId: string): number;
}

const ONE_PARTITION: Placement = { partitions: 1, partitionOf: () => 0 };

export interface PlacedEvent {
  partition: number;
  event: HashedSegmentEvent;
}

/**
 * One upstream event as the streamer receives it, on the partition of its profile. A refresh part
 * becomes REFRESH_SLICES slices per partition (the hashed members of a 50,000-member part would not
 * fit one message), each holding that partition's members, numbered so the refresh completes when
 * all are there (refreshSliceNumber); replaying a part makes the same ones.
 */
export function hashEvent(event: SegmentEvent, rules: ReadonlyMap<string, readonly string[]>, placement: Placement = ONE_PARTITION): PlacedEvent[] {
  switch (event.type) {
    case 'membership':
      return [{ partition: placement.partitionOf(event.profileId), event: { ...event, attributes: event.attributes ? hashAttributes(event.attributes, rules) : event.attributes } }];
    case 'profile':
      return [{ partition: placement.partitionOf(event.profileId), event: { ...event, attributes: hashAttributes(event.attributes, rules) } }];
    case 'erase':
      return [{ partition: placement.partitionOf(event.profileId), event }];
    case 'refresh': {
      const { partitions } = placement;
      const byPartition = Array.from({ length: partitions }, () => [] as typeof event.members);
      for (const m of event.members) byPartition[placement.partitionOf(m.profileId)].push(m);
      return byPartition.flatMap((members, partition) => {
        const size = Math.ceil(members.length / REFRESH_SLICES);
        return Array.from({ length: REFRESH_SLICES }, (_, slice) => ({
          partition,
          event: {
            ...event,
            part: refreshSliceNumber(event.part, partition, slice, partitions),
            final: event.final && slice === REFRESH_SLICES - 1,
            partitions,
            members: members.slice(slice * size, (slice + 1) * size).map((m) => ({ profileId: m.profileId, attributes: m.attributes ? hashAttributes(m.attributes, rules) : m.attributes })),
          },
        }));
      });
    }
  }
}
