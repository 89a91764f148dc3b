import { ExportConfig, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { DropReason } from '@audience-sync/destinations';
import { hash } from 'node:crypto';
import { hashFirst } from '../../../../test/support/hash-first';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/** A digest as the streamer keeps and compares it (base64url; the sinks get hex). */
const digest = (value: string) => hash('sha256', value, 'base64url');

/**
 * A mapping change needs values nobody kept in plain text: rows stay as sent until the profile's
 * attributes arrive again, hashed by the new rule (the segment's next refresh); a member never sent
 * waits, counted as awaiting values.
 */
const config = (version: number, emailAttribute: string): ExportConfig => ({
  exportId: 'E',
  version,
  displayName: 'E',
  connectionId: 'c1',
  connectionState: 'active',
  segments: [{ id: 's', name: 's' }],
  maxProfiles: 100,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'microsoft-advertising', customerId: '1', accountId: '2', emailAttribute, acceptCustomerMatchTerms: true },
});

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const people = { p1: { Home: 'one@home.example', Work: 'one@work.example' }, p2: { Work: 'two@work.example' } };
const refresh = (ids: (keyof typeof people)[]): SegmentEvent => ({
  type: 'refresh', eventId: `r${clock}`, occurredAt: at(), segmentId: 's', segmentName: 's', refreshId: `r${clock}`, part: 1, final: true,
  members: ids.map((id) => ({ profileId: id, attributes: people[id] })),
});

describe('an export whose email attribute changes', () => {
  const audience = new Set<string>();
  const runs: RunStatus['counts'][] = [];
  const apply = (batches: ChangeBatch[]) => {
    for (const b of batches) {
      if (b.mode.kind === 'full-sync' && b.mode.seq === 1) audience.clear();
      for (const c of b.changes) (c.op === 'add' ? audience.add(c.columns.EMAIL) : audience.delete(c.columns.EMAIL));
    }
  };
  const engine = new MembershipEngine(new MemoryStore(), { send: async (b) => apply(b) }, { report: async (s) => void runs.push(s.counts) });

  it('keeps what was sent until the values come again, then swaps them', async () => {
    await engine.applyConfig('E', config(1, 'Home'));
    // The hasher knows only the rule the first version applies: Work is passed on by name only.
    await engine.handleEvents(hashFirst([config(1, 'Home')])([refresh(['p1', 'p2'])]));
    expect([...audience]).toEqual([digest('one@home.example')]);

    await engine.applyConfig('E', config(2, 'Work'));
    expect([...audience]).toEqual([digest('one@home.example')]);
    await engine.handleRunRequest({ runId: 'now', exportId: 'E', requestedAt: at() });
    expect([...audience]).toEqual([digest('one@home.example')]);
    expect(runs.at(-1)).toMatchObject({ sent: 1, invalid: 1, invalidByReason: { [DropReason.awaitingValues]: 1 } });

    // The next refresh, hashed once the hasher applied version 2.
    await engine.handleEvents(hashFirst([config(2, 'Work')])([refresh(['p1', 'p2'])]));
    expect([...audience].sort()).toEqual([digest('one@work.example'), digest('two@work.example')].sort());
  });
});
