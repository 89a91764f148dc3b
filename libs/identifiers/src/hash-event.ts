import { HashedSegmentEvent, REFRESH_SLICES, SegmentEvent } from '@audience-sync/contracts';
import { hashAttributes } from './hashed-value';

/**
 * One upstream event as the streamer receives it. A refresh part becomes REFRESH_SLICES parts
 * (the hashed members of a 50,000-member part would not fit one message), numbered so the
 * refresh still completes when its parts 1…last are all there; replaying a part makes the same ones.
 */
export function hashEvent(event: SegmentEvent, rules: ReadonlyMap<string, readonly string[]>): HashedSegmentEvent[] {
  switch (event.type) {
    case 'membership':
      return [{ ...event, attributes: event.attributes ? hashAttributes(event.attributes, rules) : event.attributes }];
    case 'profile':
      return [{ ...event, attributes: hashAttributes(event.attributes, rules) }];
    case 'erase':
      return [event];
    case 'refresh': {
      const size = Math.ceil(event.members.length / REFRESH_SLICES);
      return Array.from({ length: REFRESH_SLICES }, (_, i) => ({
        ...event,
        part: (event.part - 1) * REFRESH_SLICES + i + 1,
        final: event.final && i === REFRESH_SLICES - 1,
        members: event.members.slice(i * size, (i + 1) * size).map((m) => ({ profileId: m.profileId, attributes: m.attributes ? hashAttributes(m.attributes, rules) : m.attributes })),
      }));
    }
  }
}
