import { ExportConfig, RunStatus, SegmentEvent } from '@audience-sync/contracts';
import { hashFirst } from '../../../../test/support/hash-first';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/**
 * An export's size limit (maxProfiles, published by the registry) with a small limit standing in
 * for the real ones: a run over it fails with a message the user can act on and sends nothing, a
 * run exactly at it goes through. Each path that checks the limit is driven: a refresh applied in
 * one pass, a refresh whose size is only known after the pass (two passes), an on-demand run.
 */
const LIMIT = 3;

const facebook = (segmentIds: string[]): ExportConfig => ({
  exportId: 'E',
  version: 1,
  displayName: 'E',
  connectionId: 'c1',
  connectionState: 'active',
  segments: segmentIds.map((id) => ({ id, name: id })),
  maxProfiles: LIMIT,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'facebook-ads', adAccountId: '1', audienceId: 'aud', keyIdentifier: 'email', mappings: { EMAIL: 'Email' } },
});

const microsoft = (segmentIds: string[]): ExportConfig => ({
  ...facebook(segmentIds),
  destination: { type: 'microsoft-advertising', customerId: '1', accountId: '2', emailAttribute: 'Email', acceptCustomerMatchTerms: true },
});

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const refresh = (segmentId: string, ids: number[]): SegmentEvent => {
  const refreshId = `r-${segmentId}-${clock}`;
  return {
    type: 'refresh', eventId: refreshId, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true,
    members: ids.map((i) => ({ profileId: `p${i}`, attributes: { Email: `p${i}@example.com` } })),
  };
};
const entered = (segmentId: string, i: number): SegmentEvent => ({
  type: 'membership', eventId: `e-${segmentId}-${i}-${clock}`, occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status: 'entered', attributes: { Email: `p${i}@example.com` },
});

// Both destinations map Email to EMAIL.
const hashed = hashFirst([facebook(['a'])]);

const overLimit = (size: number, destination: string) =>
  `the export has ${size} profiles, more than the ${LIMIT} a ${destination} export may hold; nothing was sent. Narrow its segments or split it into several exports.`;

describe('the profile limit of an export', () => {
  let batches: ChangeBatch[];
  let runs: Omit<RunStatus, 'stage' | 'at'>[];
  let engine: MembershipEngine;
  const added = () => batches.flatMap((b) => b.changes).filter((c) => c.op === 'add').length;

  beforeEach(() => {
    batches = [];
    runs = [];
    engine = new MembershipEngine(new MemoryStore(), { send: async (b) => void batches.push(...b) }, { report: async (s) => void runs.push(s) });
  });

  it('fails a refresh over the limit with the message, and sends nothing', async () => {
    await engine.applyConfig('E', facebook(['a']));
    await engine.handleEvents(hashed([refresh('a', [1, 2, 3, 4])]));
    expect(runs).toEqual([expect.objectContaining({ exportId: 'E', trigger: 'refresh', state: 'failed', error: overLimit(4, 'Facebook') })]);
    expect(batches).toEqual([]);
  });

  it('passes a refresh exactly at the limit', async () => {
    await engine.applyConfig('E', facebook(['a']));
    await engine.handleEvents(hashed([refresh('a', [1, 2, 3])]));
    expect(runs).toEqual([expect.objectContaining({ trigger: 'refresh', state: 'succeeded', counts: expect.objectContaining({ sent: LIMIT }) })]);
    expect(added()).toBe(LIMIT);
  });

  describe('a refresh whose size is known only after the pass (segments overlap)', () => {
    beforeEach(async () => {
      await engine.applyConfig('E', facebook(['a', 'b']));
      await engine.handleEvents(hashed([refresh('a', [1, 2, 3])]));
      expect(runs.map((r) => r.state)).toEqual(['succeeded']);
      batches = [];
    });

    it('passes when the union is exactly at the limit', async () => {
      // Listed (2) plus segment a's members (3) exceed the limit; the export itself holds 3 profiles.
      await engine.handleEvents(hashed([refresh('b', [2, 3])]));
      expect(runs.at(-1)).toMatchObject({ trigger: 'refresh', state: 'succeeded' });
    });

    it('fails when the union is over the limit, and sends nothing more', async () => {
      await engine.handleEvents(hashed([refresh('b', [3, 4])]));
      expect(runs.at(-1)).toMatchObject({ trigger: 'refresh', state: 'failed', error: overLimit(4, 'Facebook') });
      expect(batches).toEqual([]);
    });
  });

  describe('an on-demand run', () => {
    // Live entries before any run: the export is not active yet, so they are stored, not sent.
    const members = (n: number) => engine.handleEvents(hashed(Array.from({ length: n }, (_, i) => entered('a', i + 1))));

    it('fails over the limit with the message, and sends nothing', async () => {
      await engine.applyConfig('E', microsoft(['a']));
      await members(LIMIT + 1);
      await engine.handleRunRequest({ runId: 'run-1', exportId: 'E', requestedAt: at() });
      expect(runs).toEqual([{ runId: 'run-1', exportId: 'E', trigger: 'on-demand', state: 'failed', counts: { sent: 0, removed: 0, invalid: 0, failed: 0 }, error: overLimit(4, 'Microsoft Advertising') }]);
      expect(batches).toEqual([]);
    });

    it('passes exactly at the limit', async () => {
      await engine.applyConfig('E', microsoft(['a']));
      await members(LIMIT);
      await engine.handleRunRequest({ runId: 'run-1', exportId: 'E', requestedAt: at() });
      expect(runs.at(-1)).toMatchObject({ runId: 'run-1', state: 'succeeded', counts: expect.objectContaining({ sent: LIMIT }) });
      expect(added()).toBe(LIMIT);
    });
  });

  it('writes large numbers as users read them', async () => {
    await engine.applyConfig('E', { ...facebook(['a']), maxProfiles: 1000 });
    await engine.handleEvents(hashed([refresh('a', Array.from({ length: 1001 }, (_, i) => i))]));
    expect(runs.at(-1)?.error).toMatch(/^the export has 1,001 profiles, more than the 1,000 a Facebook export may hold;/);
  });
});
