import fc from 'fast-check';
import { AudienceRef, ExportConfig, FacebookChangeBatch, HashedSegmentEvent, MicrosoftChangeBatch, ProfileAttributes, SegmentEvent } from '@audience-sync/contracts';
import { ChangeBatch } from '../../services/segment-streamer/src/engine/change-writer';
import { destinationMessages } from '../../services/segment-streamer/src/engine/messages';
import { hashPlaced } from '../support/hash-first';
import { MembershipEngine } from '../../services/segment-streamer/src/engine/membership-engine';
import { MemoryStore } from '../../services/segment-streamer/src/engine/memory-store';
import { LevelStore } from '../../services/segment-streamer/src/engine/level-store';
import { StateStore } from '../../services/segment-streamer/src/engine/state-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DestinationModel } from './destination-model';
import { Attribute, IDENTITIES, Model, attributesOf, facebookExport, microsoftExport } from './model';

/** Fixed so a failure replays: PROPERTY_SEED (and PROPERTY_PATH, both printed on failure) pick another run. */
const SEED = Number(process.env.PROPERTY_SEED ?? 20261128);
const PATH = process.env.PROPERTY_PATH;

const SEGMENTS = ['s1', 's2', 's3'];
const PROFILES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];

type ExportId = 'fb' | 'ms';
type Op =
  | { kind: 'membership'; status: 'entered' | 'exited'; segment: string; profile: string; identity?: number }
  | { kind: 'profile'; profile: string; identity: number | null }
  | { kind: 'erase'; profile: string }
  | { kind: 'refresh'; segment: string; members: { profile: string; identity?: number }[]; complete: boolean; parts: number }
  | { kind: 'run'; exportId: ExportId }
  | { kind: 'remap'; exportId: ExportId; email: Attribute; phone: Attribute }
  | { kind: 'segments'; exportId: ExportId; segments: string[] }
  | { kind: 'audience' }
  | { kind: 'delete'; exportId: ExportId }
  | { kind: 'crash'; after: number };

const identity = fc.integer({ min: 0, max: IDENTITIES.length - 1 });
const exportId = fc.constantFrom<ExportId>('fb', 'ms');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('membership' as const), status: fc.constantFrom('entered' as const, 'exited' as const), segment: fc.constantFrom(...SEGMENTS), profile: fc.constantFrom(...PROFILES), identity: fc.option(identity, { nil: undefined }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('profile' as const), profile: fc.constantFrom(...PROFILES), identity: fc.option(identity, { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('erase' as const), profile: fc.constantFrom(...PROFILES) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('refresh' as const),
      segment: fc.constantFrom(...SEGMENTS),
      members: fc.uniqueArray(fc.record({ profile: fc.constantFrom(...PROFILES), identity: fc.option(identity, { nil: undefined }) }), { selector: (m) => m.profile, maxLength: 6 }),
      complete: fc.boolean(),
      parts: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('run' as const), exportId }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remap' as const), exportId, email: fc.constantFrom<Attribute>('PrimaryEmail', 'WorkEmail'), phone: fc.constantFrom<Attribute>('MobilePhone', 'HomePhone') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('segments' as const), exportId, segments: fc.subarray(SEGMENTS, { minLength: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('audience' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), exportId }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('crash' as const), after: fc.integer({ min: 0, max: 20 }) }) },
);

type Example = [Op[], number, number[], number, number, number[]];
const TIMES = Array.from({ length: 40 }, (_, i) => i);
const crashAtEveryEffect = (first: Op, second: Op, effects: number, changeBatch = 1): Example[] =>
  Array.from({ length: effects }, (_, after): Example => [[first, { kind: 'crash', after }, second], 1, TIMES, 1000, changeBatch, []]);
const four = PROFILES.slice(0, 4).map((profile, i) => ({ profile, identity: i }));

/**
 * Crash windows that random sequences rarely hit, tried first at every effect: between dropping a
 * stale member and removing its row; between activating an export and sending the members of its
 * other segments; between the batches of one full sync (four members, one or three changes a
 * batch: the Facebook audience's replace session spans four batches, a Microsoft list's Replace
 * then Add two);
 * and while a remap's rows are swapped, one profile at a time.
 */
const CRASH_EXAMPLES: Example[] = [
  ...crashAtEveryEffect({ kind: 'refresh', segment: 's1', members: [{ profile: 'p1', identity: 0 }], complete: true, parts: 1 }, { kind: 'refresh', segment: 's1', members: [], complete: true, parts: 1 }, 14),
  ...crashAtEveryEffect({ kind: 'membership', status: 'entered', segment: 's2', profile: 'p1', identity: 0 }, { kind: 'refresh', segment: 's1', members: [{ profile: 'p2', identity: 1 }], complete: true, parts: 1 }, 14),
  ...crashAtEveryEffect({ kind: 'refresh', segment: 's1', members: four, complete: true, parts: 1 }, { kind: 'run', exportId: 'fb' }, 12),
  ...crashAtEveryEffect({ kind: 'refresh', segment: 's2', members: four, complete: true, parts: 2 }, { kind: 'run', exportId: 'ms' }, 12, 3),
  ...crashAtEveryEffect({ kind: 'refresh', segment: 's2', members: four.slice(0, 2), complete: true, parts: 1 }, { kind: 'remap', exportId: 'fb', email: 'WorkEmail', phone: 'HomePhone' }, 10),
];

/**
 * A row two profiles share stays while either holds it: 'home' and 'home again' write one phone two
 * ways (one Facebook row), 'mary' and 'bo' one email two ways (one Microsoft row); one leaves.
 */
const HOUSEHOLD_EXAMPLES: Example[] = [
  [[{ kind: 'refresh', segment: 's1', members: [{ profile: 'p1', identity: 3 }, { profile: 'p2', identity: 4 }], complete: true, parts: 1 }, { kind: 'membership', status: 'exited', segment: 's1', profile: 'p1' }], 1, TIMES, 1000, 1, []],
  [[{ kind: 'refresh', segment: 's2', members: [{ profile: 'p1', identity: 0 }, { profile: 'p2', identity: 2 }], complete: true, parts: 1 }, { kind: 'membership', status: 'exited', segment: 's2', profile: 'p2' }], 1, TIMES, 1000, 1, []],
];

class Crash extends Error {}

/**
 * Stands in for a process killed between two effects: once armed, the n-th write to the store or
 * batch sent to Kafka from then on throws instead of happening, and everything in memory is thrown
 * away. Batches count one by one, so a crash can fall between two batches of one send.
 */
class CrashPoint {
  private left: number | undefined;

  arm(after: number): void {
    this.left = after;
  }

  effect(): void {
    if (this.left === undefined) return;
    if (this.left === 0) {
      this.left = undefined;
      throw new Crash('crash');
    }
    this.left -= 1;
  }

  store(store: StateStore): StateStore {
    return new Proxy(store, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (!/^(save|drop|stage)/.test(String(name)) || name === 'stagedParts' || name === 'stagedMembers') return value.bind(target);
        return (...args: unknown[]) => {
          this.effect();
          return value.apply(target, args);
        };
      },
    });
  }
}

/** Whether the export's configuration still names this audience: what a sink checks before sending. */
function feeds(config: ExportConfig | undefined, ref: AudienceRef): boolean {
  if (!config) return false;
  const d = config.destination;
  return d.type === 'facebook-ads' ? d.audienceId === ref.audienceKey : config.segments.some((s) => s.id === ref.audienceKey);
}

const stores: [string, number, () => Promise<{ store: StateStore; close: () => Promise<void> }>][] = [
  ['memory', 2000, async () => ({ store: new MemoryStore(), close: async () => undefined })],
  [
    'LevelDB',
    800,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'level-property-'));
      const store = new LevelStore(dir);
      await store.open();
      return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
];

/**
 * The hasher in front, with the rules of every mapping a remap may choose (as if other exports
 * mapped those attributes all along), so a remap finds its values hashed and takes effect at once.
 * What a remap does when they are not is a test of its own (membership-engine remap spec).
 * Cut for two partitions, as the hasher cuts for the hashed topic's: a refresh ends in two finals.
 */
const remapped = (config: ExportConfig): ExportConfig =>
  config.destination.type === 'facebook-ads' ? { ...config, destination: { ...config.destination, mappings: { ...config.destination.mappings, EMAIL: 'WorkEmail', PHONE: 'HomePhone' } } } : { ...config, destination: { ...config.destination, emailAttribute: 'WorkEmail' } };
const PARTITIONS = 2;
const placed = hashPlaced(
  [facebookExport(1), microsoftExport(1)].flatMap((c) => [c, remapped(c)]),
  { partitions: PARTITIONS, partitionOf: (profileId) => Number(profileId.slice(1)) % PARTITIONS },
);

const sorted = (audiences: Map<string, Set<string>>) =>
  Object.fromEntries([...audiences].filter(([, rows]) => rows.size > 0).map(([id, rows]): [string, string[]] => [id, [...rows].sort()]).sort(([a], [b]) => a.localeCompare(b)));

describe.each(stores)('streamer + hasher against the model (property, %s store)', (_name, numRuns, makeStore) => {
  it('each destination audience holds what the model says, whatever the interleaving, export changes and crashes', async () => {
    let longestFullSync = 0;
    const property = fc.asyncProperty(
      fc.array(op, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 40, maxLength: 40 }),
      // As many as there are profiles: never exceeded, but a refresh's upper bound often is, which takes the exact two-pass path.
      fc.constantFrom(1000, PROFILES.length),
      // Changes per output batch: a handful of profiles then spans several batches (three or more mostly at one a batch).
      fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 3 })),
      // Which partition's events come next, and how many: the streamer reads each partition in order, the partitions in any.
      fc.array(fc.nat({ max: 99 }), { maxLength: 40 }),
      async (ops, eventBatch, times, maxProfiles, changeBatch, order) => {
        const model = new Model(PROFILES, [facebookExport(maxProfiles), microsoftExport(maxProfiles)]);
        const destination = new DestinationModel((ref) => feeds(model.config(ref.exportId), ref));
        const crash = new CrashPoint();
        const output = {
          send: async (batches: ChangeBatch[]) => {
            for (const [topic, messages] of destinationMessages(batches)) {
              for (const { value } of messages) {
                crash.effect();
                destination.apply(topic.schema.parse(value) as FacebookChangeBatch | MicrosoftChangeBatch);
              }
            }
          },
        };
        const { store: durable, close } = await makeStore();
        const store = crash.store(durable);
        try {
          // A restart: a new engine over the same state, with the export table read again.
          const start = async () => {
            const next = new MembershipEngine(store, output, { report: async () => undefined }, { batchSize: changeBatch });
            for (const c of model.configs()) await next.applyConfig(c.exportId, c);
            return next;
          };
          let engine = await start();
          // What the consumer does after a crash: restart and have the uncommitted work again.
          const delivered = async (work: () => Promise<void>) => {
            for (;;) {
              try {
                return await work();
              } catch (error) {
                if (!(error instanceof Crash)) throw error;
                engine = await start();
              }
            }
          };
          const pending: SegmentEvent[] = [];
          const deliverEvents = async () => {
            const queues = Array.from({ length: PARTITIONS }, () => [] as HashedSegmentEvent[]);
            for (const { partition, event } of placed(pending)) queues[partition].push(event);
            pending.length = 0;
            for (let step = 0; queues.some((q) => q.length > 0); step += 1) {
              const open = queues.filter((q) => q.length > 0);
              const pick = order.length > 0 ? order[step % order.length] : 0;
              const batch = open[pick % open.length].splice(0, 1 + (Math.floor(pick / PARTITIONS) % eventBatch));
              await delivered(() => engine.handleEvents(batch));
            }
          };
          const run = async (id: string, n: number) => {
            await delivered(() => engine.handleRunRequest({ runId: `run${n}`, exportId: id, requestedAt: new Date().toISOString() }));
            model.ran(id);
          };
          const check = (when: string) => expect({ when, audiences: sorted(destination.audiences) }).toEqual({ when, audiences: sorted(model.expected()) });

          // Distinct event times in a random order: arrival order is not event order.
          const distinct = [...new Set(times.map((t, i) => t * 100 + i))];
          for (const [i, o] of ops.entries()) {
            const t = distinct[i % distinct.length] + i;
            const at = new Date(1_700_000_000_000 + t).toISOString();
            const attributes = (n: number | undefined): ProfileAttributes | null => (n === undefined ? null : attributesOf(IDENTITIES[n]));
            if (o.kind === 'membership') {
              pending.push({ type: 'membership', eventId: `e${i}`, occurredAt: at, segmentId: o.segment, segmentName: o.segment, profileId: o.profile, status: o.status, attributes: attributes(o.identity) });
              model.set(o.segment, o.profile, o.status === 'entered', t);
              model.setIdentity(o.profile, o.identity, t);
            } else if (o.kind === 'profile') {
              pending.push({ type: 'profile', eventId: `e${i}`, occurredAt: at, profileId: o.profile, attributes: attributesOf(o.identity === null ? {} : IDENTITIES[o.identity]) });
              model.setIdentity(o.profile, o.identity, t);
            } else if (o.kind === 'erase') {
              pending.push({ type: 'erase', eventId: `e${i}`, occurredAt: at, profileId: o.profile });
              model.erase(o.profile, t, SEGMENTS);
            } else if (o.kind === 'refresh') {
              const parts = Array.from({ length: o.parts }, (_, n) => o.members.filter((_, j) => j % o.parts === n));
              (o.complete ? parts : parts.slice(0, -1)).forEach((members, n) =>
                pending.push({ type: 'refresh', eventId: `e${i}-${n}`, occurredAt: at, segmentId: o.segment, segmentName: o.segment, refreshId: `r${i}`, part: n + 1, final: n === o.parts - 1, members: members.map((m) => ({ profileId: m.profile, attributes: attributes(m.identity) })) }),
              );
              if (o.complete) model.refreshed(o.segment, o.members, t);
            } else {
              // Configuration, runs and crashes happen between event batches, as on separate topics.
              await deliverEvents();
              if (o.kind === 'crash') crash.arm(o.after);
              else if (o.kind === 'run') await run(o.exportId, i);
              else {
                const change = model.change(o);
                if (!change) continue;
                await delivered(() => engine.applyConfig(change.exportId, change.config));
                if (change.fill) await run(change.exportId, i);
              }
              check(`after op ${i} (${o.kind})`);
            }
          }
          await deliverEvents();
          check('at the end');
          expect(destination.unfinishedFullSyncs()).toEqual([]);
          longestFullSync = Math.max(longestFullSync, destination.longestFullSync);
        } finally {
          await close();
        }
      },
    );
    const details = await fc.check(property, { numRuns, seed: SEED, path: PATH, examples: [...HOUSEHOLD_EXAMPLES, ...CRASH_EXAMPLES], includeErrorInReport: true });
    if (details.failed) throw new Error(`replay with PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath}\n${await fc.asyncDefaultReportMessage(details)}`);
    // The runs above did test what they are for: full syncs spanning several batches.
    if (!PATH) expect(longestFullSync).toBeGreaterThan(1);
  });
});
