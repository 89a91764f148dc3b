import { Logger } from '@nestjs/common';
import { AssignerProtocol, Consumer, Kafka, PartitionAssigner } from 'kafkajs';

export interface LeadershipOptions {
  /** One group per thing led (e.g. one state changelog): its members are the candidates. */
  groupId: string;
  /** A one-partition topic nothing is written to: whoever holds its partition leads. */
  topic: string;
  /** Called once if a leader finds it leads no longer (another took over while it was unreachable), or the consumer stops for good. */
  onLost: (why: string) => void;
  /** Called when the group gives this instance nothing: another member leads. */
  onStandby?: () => void;
}

const ASSIGNER = 'sticky-single-leader';

/** A member's claim, as its group metadata: when it was given the lead (0: it follows). */
function claim(electedAt: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeDoubleBE(electedAt);
  return buffer;
}

function claimOf(metadata: Buffer): number {
  const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
  return userData?.length === 8 ? userData.readDoubleBE(0) : 0;
}

/**
 * One active instance among several, decided by Kafka's group membership (no coordinator of
 * ours): every instance joins one consumer group on a one-partition topic, and the member holding
 * that partition leads. The assignment is sticky — a member that leads says so when the group
 * rebalances, and keeps the partition — so an instance that joins, or comes back after a crash,
 * stands by instead of taking over. A leader that stops (or stops heart-beating for the session
 * timeout) leaves the partition to one of the others. Should a leader that was thought gone come
 * back still claiming the lead, the claim made last wins (the member that took over).
 */
export class Leadership {
  private readonly logger = new Logger(Leadership.name);
  private readonly consumer: Consumer;
  private leads = false;
  private electedAt = 0;
  private lost = false;
  private resolveElected!: () => void;
  /** Resolves when this instance leads. */
  readonly elected = new Promise<void>((resolve) => (this.resolveElected = resolve));

  constructor(
    kafka: Kafka,
    private readonly options: LeadershipOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [this.assigner],
      // As the batch consumers': a crashed leader is replaced after this.
      sessionTimeout: 10000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => this.joined((payload.memberAssignment[options.topic] as number[] | undefined) ?? []));
    // Without its consumer a leader could not tell it lost the lead, and a standby could not take it.
    this.consumer.on(CRASH, ({ payload }) => {
      if (!payload.restart) this.lose(`the leadership consumer of group ${options.groupId} stopped (${payload.error.message})`);
    });
  }

  isLeader(): boolean {
    return this.leads && !this.lost;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: false });
    // Nothing is ever written to the topic: the consumer is there to hold the partition.
    await this.consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  }

  /** Leaves the group: another member takes the lead at once rather than after the session timeout. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private joined(partitions: number[]): void {
    if (partitions.length > 0 && !this.leads) {
      this.leads = true;
      this.electedAt = Date.now();
      this.logger.log(`this instance leads group ${this.options.groupId}`);
      this.resolveElected();
    } else if (partitions.length === 0 && this.leads) {
      this.lose(`another member of group ${this.options.groupId} took the lead (this one was unreachable for longer than the session timeout)`);
    } else if (partitions.length === 0) {
      this.logger.log(`standing by: another member of group ${this.options.groupId} leads`);
      this.options.onStandby?.();
    }
  }

  private lose(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.options.onLost(why);
  }

  /** Gives the topic's partition to the member that claims the lead (the latest claim), or to the first by member id when none does. */
  private readonly assigner: PartitionAssigner = () => ({
    name: ASSIGNER,
    version: 1,
    assign: async ({ members, topics }) => {
      const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
      const claims = sorted.map((m) => claimOf(m.memberMetadata));
      const latest = Math.max(0, ...claims);
      const leader = latest > 0 ? sorted[claims.indexOf(latest)] : sorted[0];
      return sorted.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: Object.fromEntries(topics.map((topic) => [topic, memberId === leader?.memberId ? [0] : []])),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol: ({ topics }) => ({ name: ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: claim(this.isLeader() ? this.electedAt : 0) }) }),
  });
}
