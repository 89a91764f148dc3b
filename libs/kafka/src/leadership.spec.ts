import { AssignerProtocol, Assigner, Kafka, PartitionAssigner } from 'kafkajs';
import { Leadership } from './leadership';

/** The group as Kafka runs it: each member's metadata from its own assigner's protocol(), the assignment by the group leader's assign(). */
function candidates(n: number) {
  const members = Array.from({ length: n }, (_, i) => {
    let assigner!: Assigner;
    const kafka = {
      consumer: ({ partitionAssigners }: { partitionAssigners: PartitionAssigner[] }) => {
        assigner = partitionAssigners[0]({} as never);
        return { events: { GROUP_JOIN: 'join', CRASH: 'crash' }, on: () => undefined };
      },
    } as unknown as Kafka;
    const lost: string[] = [];
    const leadership = new Leadership(kafka, { groupId: 'g', topic: 't', onLost: (why) => lost.push(why) });
    return { memberId: `m${i}`, leadership, assigner: () => assigner, lost };
  });
  /** One rebalance among `present`: the partition goes where assign() puts it, each member is told (as GROUP_JOIN does). */
  const rebalance = async (present = members) => {
    const group = present.map((m) => ({ memberId: m.memberId, memberMetadata: m.assigner().protocol({ topics: ['t'] }).metadata }));
    const assignments = await present[0].assigner().assign({ members: group, topics: ['t'] });
    for (const { memberId, memberAssignment } of assignments) {
      const member = present.find((m) => m.memberId === memberId)!;
      (member.leadership as unknown as { joined(p: number[]): void }).joined(AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment.t);
    }
    return present.filter((m) => m.leadership.isLeader()).map((m) => m.memberId);
  };
  return { members, rebalance };
}

describe('Leadership', () => {
  it('gives the lead to one member, and keeps it there when others join or come back', async () => {
    const { members, rebalance } = candidates(3);
    expect(await rebalance(members.slice(1, 2))).toEqual(['m1']);
    // m0 sorts first, but m1 leads: it keeps the lead.
    expect(await rebalance(members)).toEqual(['m1']);
    expect(await rebalance([members[2], members[0], members[1]])).toEqual(['m1']);
    expect(members.flatMap((m) => m.lost)).toEqual([]);
    await expect(members[1].leadership.elected).resolves.toBeUndefined();
  });

  it('hands the lead on when the leader is gone, and a leader thought gone that comes back loses to the one that took over', async () => {
    const { members, rebalance } = candidates(2);
    expect(await rebalance()).toEqual(['m0']);
    // m0 unreachable past the session timeout: the group goes on without it.
    await new Promise((r) => setTimeout(r, 5));
    expect(await rebalance(members.slice(1))).toEqual(['m1']);
    // m0 rejoins still claiming the lead it had: m1's later claim wins, and m0 is told it lost.
    expect(await rebalance()).toEqual(['m1']);
    expect(members[0].lost).toEqual(['another member of group g took the lead (this one was unreachable for longer than the session timeout)']);
    expect(members[1].lost).toEqual([]);
  });
});

describe('Leadership when its consumer stops for good', () => {
  it('tells a standby as it tells a leader, so the process restarts and joins again; a crash kafkajs restarts from is nothing', () => {
    const handlers = new Map<string, (event: unknown) => void>();
    const kafka = { consumer: () => ({ events: { GROUP_JOIN: 'join', CRASH: 'crash' }, on: (name: string, handler: (event: unknown) => void) => handlers.set(name, handler) }) } as unknown as Kafka;
    const lost: string[] = [];
    new Leadership(kafka, { groupId: 'g', topic: 't', onLost: (why) => lost.push(why) });
    handlers.get('join')!({ payload: { memberAssignment: { t: [] } } });
    handlers.get('crash')!({ payload: { error: new Error('topic deleted'), restart: true } });
    expect(lost).toEqual([]);
    handlers.get('crash')!({ payload: { error: new Error('topic deleted'), restart: false } });
    expect(lost).toEqual(['the leadership consumer of group g stopped (topic deleted)']);
  });
});
