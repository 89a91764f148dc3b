import { ExportConfig, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { hash } from 'node:crypto';
import { hashFirst } from '../../../../test/support/hash-first';
import { DestinationAudiences } from '../../../../test/support/destination-audiences';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/** A digest as the streamer keeps and compares it (base64url; the sinks get hex). */
const digest = (value: string) => hash('sha256', value, 'base64url');

const config = (exportId: string, segmentId: string, audienceId: string): ExportConfig => ({
  exportId,
  version: 1,
  displayName: exportId,
  connectionId: 'c1',
  connectionState: 'active',
  segments: [{ id: segmentId, name: segmentId }],
  maxProfiles: 1000,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'facebook-ads', adAccountId: '1', audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'Email' } },
});

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const email = (i: number) => `p${i}@example.com`;
/** What the audience holds for profile i: its email's digest. */
const row = (i: number) => digest(email(i));
// Every export here maps Email to EMAIL.
const hashed = hashFirst([config('A', 'a', 'shared')]);
const refresh = (segmentId: string, ids: number[]): SegmentEvent => ({
  type: 'refresh', eventId: `r-${segmentId}-${clock}`, occurredAt: at(), segmentId, segmentName: segmentId, refreshId: `r-${segmentId}-${clock}`, part: 1, final: true,
  members: ids.map((i) => ({ profileId: `p${i}`, attributes: { Email: email(i) } })),
});
const exit = (segmentId: string, i: number): SegmentEvent => ({ type: 'membership', eventId: `x-${segmentId}-${i}`, occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'exited' });

describe('exports that feed one destination audience', () => {
  let destination: DestinationAudiences;
  let engine: MembershipEngine;
  const runs: RunStatus['counts'][] = [];

  beforeEach(async () => {
    destination = new DestinationAudiences();
    engine = new MembershipEngine(new MemoryStore(), { send: async (batches) => batches.forEach((b) => destination.apply(b)) }, { report: async (s) => void runs.push(s.counts) });
    await engine.applyConfig('A', config('A', 'a', 'shared'));
    await engine.applyConfig('B', config('B', 'b', 'shared'));
    await engine.handleEvents(hashed([refresh('a', [1, 2, 3]), refresh('b', [3, 4, 5])]));
  });

  it('holds the union, and an exit removes a row only when no other export holds it', async () => {
    expect(destination.members('shared')).toEqual([1, 2, 3, 4, 5].map(row).sort());
    await engine.handleEvents(hashed([exit('a', 3), exit('b', 4)]));
    expect(destination.members('shared')).toEqual([1, 2, 3, 5].map(row).sort());
    await engine.handleEvents(hashed([exit('b', 3)]));
    expect(destination.members('shared')).toEqual([1, 2, 5].map(row).sort());
  });

  it('an on-demand run of one export does not replace the audience, so the other export keeps its members', async () => {
    await engine.handleEvents(hashed([exit('a', 2)]));
    await engine.handleRunRequest({ runId: 'run-A', exportId: 'A', requestedAt: at() });
    expect(destination.members('shared')).toEqual([1, 3, 4, 5].map(row).sort());
    expect(destination.modes.filter((m) => m.startsWith('A:'))).not.toContain('A:full-sync');
    expect(runs.at(-1)).toMatchObject({ sent: 2, removed: 0, invalid: 0 });
  });

  it('an export alone on its audience is still replaced by an on-demand run', async () => {
    await engine.applyConfig('B', { ...config('B', 'b', 'own'), version: 2 });
    await engine.handleEvents(hashed([refresh('b', [4, 5])]));
    await engine.handleRunRequest({ runId: 'run-B', exportId: 'B', requestedAt: at() });
    expect(destination.modes.at(-1)).toBe('B:full-sync');
    expect(destination.members('own')).toEqual([4, 5].map(row).sort());
  });

  it('a run waits for the configuration version it was asked with', async () => {
    const asked = engine.handleRunRequest({ runId: 'run-moved', exportId: 'A', exportVersion: 2, requestedAt: at() });
    await new Promise((r) => setTimeout(r, 100));
    await engine.applyConfig('A', { ...config('A', 'a', 'moved'), version: 2 });
    await asked;
    expect(destination.members('moved')).toEqual([1, 2, 3].map(row).sort());
  });
});
