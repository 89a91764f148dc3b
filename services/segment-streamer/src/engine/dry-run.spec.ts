import { ExportConfig, HashedRefreshEvent, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { streamOf } from '@audience-sync/destinations';
import { identityOf } from '@audience-sync/identifiers';
import { hashFirst } from '../../../../test/support/hash-first';
import { facebookConfig } from '../../../../test/support/engine-configs';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';
import { desiredRow } from './rows';
import { SentEntry } from './state-store';

/**
 * A dry run against the full sync it foretells: after a real sync, the state is made to differ
 * from what the export should hold (a segment the export gained, stale and changed sent rows,
 * members without a usable identifier); the dry run's counts must then be what the next real run
 * does, and the dry run itself must send nothing and leave the state as it was.
 */
const facebook = (exportId: string, segmentIds: string[], version = 1): ExportConfig => facebookConfig(exportId, segmentIds, { version, maxProfiles: 100 });

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const email = (i: number) => `p${i}@example.com`;
type Member = [profile: number, attributes: Record<string, string>];
const refresh = (segmentId: string, members: Member[]): SegmentEvent => {
  const refreshId = `r-${segmentId}-${clock}`;
  return { type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: members.map(([i, attributes]) => ({ profileId: `p${i}`, attributes })) };
};
const withEmail = (...ids: number[]): Member[] => ids.map((i) => [i, { Email: email(i) }]);
const hashed = hashFirst([facebook('E', ['a'])]);
const audienceKey = streamOf(facebook('E', ['a'])).audiences[0].audienceKey;
/** A row the streamer never computed from any member: a sent entry only the state remembers. */
const madeUp = (name: string): SentEntry => {
  const columns = { EMAIL: `made-up-${name}` };
  return { columns, row: identityOf(columns) };
};

/** The row a profile with email(i) should have, as the streamer works it out. */
const rowOf = (i: number): SentEntry => {
  const [event] = hashed([refresh('any', withEmail(i))]) as HashedRefreshEvent[];
  return desiredRow(streamOf(facebook('E', ['a'])).rules, event.members[0].attributes ?? undefined, undefined).entry!;
};

type Report = Omit<RunStatus, 'stage' | 'at'>;

describe.each([
  ['an audience of its own (a full sync replaces it)', false],
  ['an audience another export feeds too (a full sync adds and removes)', true],
])('a dry run of an export with %s', (_, shared) => {
  let store: MemoryStore;
  let engine: MembershipEngine;
  let batches: ChangeBatch[];
  let runs: Report[];

  /** Every export's sent entries for the audience, by export and profile. */
  const sentState = async () => {
    const out = new Map<string, Map<string, string>>();
    for (const exportId of ['E', 'F']) {
      const rows = new Map<string, string>();
      for await (const ids of store.sentProfiles(exportId, audienceKey, 100)) for (const [p, entry] of await store.sent(exportId, audienceKey, ids)) rows.set(p, entry.row);
      out.set(exportId, rows);
    }
    return out;
  };
  /** The rows the destination audience holds: every feeding export's sent rows. */
  const destinationRows = (state: Map<string, Map<string, string>>) => new Set([...state.values()].flatMap((rows) => [...rows.values()]));
  const sentRow = async (i: number) => (await store.sent('E', audienceKey, [`p${i}`])).get(`p${i}`)!;

  beforeEach(async () => {
    store = new MemoryStore();
    batches = [];
    runs = [];
    engine = new MembershipEngine(store, { send: async (b) => void batches.push(...b) }, { report: async (s) => void runs.push(s) });
    await engine.applyConfig('E', facebook('E', ['a']));
    if (shared) await engine.applyConfig('F', facebook('F', ['f']));
    // Segment b is not the export's yet: its members are stored, not sent.
    await engine.handleEvents(hashed([
      refresh('a', withEmail(1, 2, 3, 4, 5)),
      refresh('b', [...withEmail(6, 7), [8, { Name: 'no email' }], [9, { Email: 'not an email' }], [10, { Email: email(1) }]]),
      ...(shared ? [refresh('f', withEmail(20))] : []),
    ]));
    await engine.handleRunRequest({ runId: 'first', exportId: 'E', requestedAt: at() });
    // The export gains segment b: only a full sync sends its members (reconcileSent looks at what was sent).
    await engine.applyConfig('E', facebook('E', ['a', 'b'], 2));
    // The state remembers rows that no longer match: a stale row of a profile out of the export,
    // one another member holds, one a new member (p6) takes up, one export F holds (or nobody), and p3's old row.
    await store.saveSent('E', audienceKey, [
      { profileId: 'p30', entry: madeUp('30'), previous: undefined },
      { profileId: 'p31', entry: await sentRow(2), previous: undefined },
      { profileId: 'p33', entry: rowOf(6), previous: undefined },
      { profileId: 'p32', entry: shared ? (await store.sent('F', audienceKey, ['p20'])).get('p20')! : madeUp('32'), previous: undefined },
      { profileId: 'p3', entry: madeUp('3'), previous: await sentRow(3) },
    ]);
    batches = [];
    runs = [];
  });

  it('counts what the next full sync does, sending and writing nothing', async () => {
    const before = await sentState();
    await engine.handleRunRequest({ runId: 'dry', exportId: 'E', requestedAt: at(), dryRun: true });

    expect(batches).toEqual([]);
    expect(await sentState()).toEqual(before);
    expect(runs.map((r) => r.state)).toEqual(['running', 'succeeded']);
    const report = runs.at(-1)!;
    expect(report).toMatchObject({ runId: 'dry', trigger: 'dry-run', counts: { sent: 0, removed: 0, invalid: 0, failed: 0 } });
    const dry = report.dryRun!;

    runs = [];
    await engine.handleRunRequest({ runId: 'real', exportId: 'E', requestedAt: at() });
    const after = await sentState();
    const real = runs.at(-1)!;
    expect(real).toMatchObject({ trigger: 'on-demand', state: 'succeeded' });

    const was = before.get('E')!;
    const now = after.get('E')!;
    const added = [...now].filter(([p, row]) => was.get(p) !== row);
    const kept = [...now].filter(([p, row]) => was.get(p) === row);
    const removed = [...destinationRows(before)].filter((row) => !destinationRows(after).has(row));
    expect(dry).toMatchObject({ wouldAdd: added.length, wouldKeep: kept.length, wouldRemove: removed.length, invalid: real.counts.invalid, invalidByReason: real.counts.invalidByReason });
    // p3 (changed row), p6, p7, p10 added; p1, p2, p4, p5 kept; invalid: p8 (no email), p9 (unusable).
    // Removed: p30's row and p3's old one; p32's when F does not hold it; p31's row p2 keeps.
    expect(dry).toMatchObject({ wouldAdd: 4, wouldKeep: 4, wouldRemove: shared ? 2 : 3, invalid: 2, invalidByReason: { 'no-mapped-identifier': 1, 'unusable-identifier': 1 } });
    if (shared) expect(batches.flatMap((b) => b.changes).filter((c) => c.op === 'remove')).toHaveLength(dry.wouldRemove);

    // Samples name rows by a short prefix of their identity, never a value or a whole digest.
    expect(dry.samples.add.map((s) => s.row).sort()).toEqual(added.map(([, row]) => row.slice(0, 12)).sort());
    expect(dry.samples.remove.map((s) => s.row).sort()).toEqual(removed.map((row) => row.slice(0, 12)).sort());
    const text = JSON.stringify(report);
    for (let i = 1; i <= 32; i += 1) expect(text).not.toContain(`p${i}`);
    for (const row of [...now.values()]) expect(text).not.toContain(row);
  });
});

describe('a dry run, further', () => {
  let batches: ChangeBatch[];
  let runs: Report[];
  let engine: MembershipEngine;

  beforeEach(async () => {
    batches = [];
    runs = [];
    engine = new MembershipEngine(new MemoryStore(), { send: async (b) => void batches.push(...b) }, { report: async (s) => void runs.push(s) });
  });

  it('leaves an export that never ran inactive: live changes still wait for its first sync', async () => {
    await engine.applyConfig('E', facebook('E', ['a']));
    const entered = (i: number): SegmentEvent => ({ type: 'membership', eventId: `e${i}`, occurredAt: at(), segmentId: 'a', segmentName: 'a', profileId: `p${i}`, status: 'entered', attributes: { Email: email(i) } });
    await engine.handleEvents(hashed([entered(1)]));
    await engine.handleRunRequest({ runId: 'dry', exportId: 'E', requestedAt: at(), dryRun: true });
    expect(runs.at(-1)).toMatchObject({ state: 'succeeded', dryRun: { wouldAdd: 1, wouldKeep: 0, wouldRemove: 0 } });
    await engine.handleEvents(hashed([entered(2)]));
    expect(batches).toEqual([]);
  });

  it('fails over the profile limit as a full sync would, saying so', async () => {
    await engine.applyConfig('E', { ...facebook('E', ['a']), maxProfiles: 2 });
    await engine.handleEvents(hashed([refresh('a', withEmail(1, 2, 3))]));
    runs = [];
    await engine.handleRunRequest({ runId: 'dry', exportId: 'E', requestedAt: at(), dryRun: true });
    expect(runs).toEqual([
      expect.objectContaining({ runId: 'dry', trigger: 'dry-run', state: 'failed', error: expect.stringMatching(/^the export has 3 profiles, more than the 2 a Facebook export may hold; nothing was sent, and a full sync would fail the same way\./) }),
    ]);
    expect(batches).toEqual([]);
  });
});
