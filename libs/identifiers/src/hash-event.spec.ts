import { refreshSliceTotal, RefreshEvent } from '@audience-sync/contracts';
import { hashEvent } from './hash-event';

const rules = new Map([['Email', ['EMAIL']]]);
const refresh = (part: number, final: boolean, ids: string[]): RefreshEvent => ({
  type: 'refresh', eventId: `e${part}`, occurredAt: '2026-11-29T00:00:00Z', segmentId: 's', segmentName: 's', refreshId: 'r', part, final, members: ids.map((profileId) => ({ profileId, attributes: { Email: `${profileId}@example.com` } })),
});
const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
/** Three partitions by the number in the profile id. */
const three = { partitions: 3, partitionOf: (profileId: string) => Number(profileId.slice(1)) % 3 };

describe('hashEvent: refresh slices by partition', () => {
  it('one partition: part p becomes slices 5p-4 … 5p, the last final when the part is', () => {
    const slices = hashEvent(refresh(2, true, ids.slice(0, 12)), rules);
    expect(slices.map((s) => [s.partition, s.event.type === 'refresh' && [s.event.part, s.event.final, s.event.members.length]])).toEqual([
      [0, [6, false, 3]], [0, [7, false, 3]], [0, [8, false, 3]], [0, [9, false, 3]], [0, [10, true, 0]],
    ]);
    expect(refreshSliceTotal(slices[4].event as { part: number; partitions: number })).toBe(10);
  });

  it('several partitions: each gets its own members in five slices, its last of the final part final, and every final tells the same total', () => {
    const slices = hashEvent(refresh(2, true, ids), rules, three);
    expect(slices).toHaveLength(15);
    for (const { partition, event } of slices) {
      if (event.type !== 'refresh') throw new Error('not a refresh slice');
      expect(event.partitions).toBe(3);
      expect(Math.floor((event.part - 1) / 5) % 3).toBe(partition);
      for (const m of event.members) expect(three.partitionOf(m.profileId)).toBe(partition);
    }
    const parts = slices.map((s) => (s.event as { part: number }).part);
    expect(parts).toEqual(Array.from({ length: 15 }, (_, i) => 16 + i));
    const finals = slices.filter((s) => (s.event as { final: boolean }).final);
    expect(finals.map((s) => s.partition)).toEqual([0, 1, 2]);
    expect(finals.map((s) => refreshSliceTotal(s.event as { part: number; partitions: number }))).toEqual([30, 30, 30]);
    const members = slices.flatMap((s) => (s.event.type === 'refresh' ? s.event.members.map((m) => m.profileId) : []));
    expect(members.sort()).toEqual([...ids].sort());
  });

  it('a part that is not final has no final slice; events about one profile go to its partition', () => {
    expect(hashEvent(refresh(1, false, ids), rules, three).some((s) => (s.event as { final: boolean }).final)).toBe(false);
    const entered = hashEvent({ type: 'membership', eventId: 'm', occurredAt: '2026-11-29T00:00:00Z', segmentId: 's', segmentName: 's', profileId: 'p7', status: 'entered', attributes: null }, rules, three);
    const erased = hashEvent({ type: 'erase', eventId: 'x', occurredAt: '2026-11-29T00:00:00Z', profileId: 'p8' }, rules, three);
    expect([entered[0].partition, erased[0].partition]).toEqual([1, 2]);
  });
});
