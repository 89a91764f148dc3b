import { ExportConfig, SegmentEvent } from '@audience-sync/contracts';
import { hashFirst } from '../../../../test/support/hash-first';
import { ChangeBatch } from './change-writer';
import { MembershipEngine } from './membership-engine';
import { MemoryStore } from './memory-store';

/**
 * A full sync with no rows for an audience must still leave it as the sync says: empty. Microsoft
 * takes a Replace of no items; Graph takes no empty /usersreplace, so there what was sent is removed.
 * The members here lost their rows without a reconcile (the state a crash between storing their
 * attributes and reconciling them leaves), so only the full sync can put the audience right.
 */
const base = { version: 1, displayName: 'E', connectionId: 'c1', connectionState: 'active' as const, segments: [{ id: 's', name: 's' }], maxProfiles: 100, updatedAt: '2026-11-01T00:00:00Z' };
const configs: Record<string, ExportConfig> = {
  facebook: { ...base, exportId: 'fb', destination: { type: 'facebook-ads', adAccountId: '1', audienceId: 'aud', keyIdentifier: 'email', mappings: { EMAIL: 'Email' } } },
  microsoft: { ...base, exportId: 'ms', destination: { type: 'microsoft-advertising', customerId: '1', accountId: '2', emailAttribute: 'Email', acceptCustomerMatchTerms: true } },
};

const at = (s: number) => new Date(Date.parse('2026-11-02T00:00:00Z') + s * 1000).toISOString();
const refresh = (members: { profileId: string; attributes: Record<string, string> }[], s: number): SegmentEvent => ({
  type: 'refresh', eventId: `r${s}`, occurredAt: at(s), segmentId: 's', segmentName: 's', refreshId: `r${s}`, part: 1, final: true, members,
});

describe.each(Object.keys(configs))('a %s full sync with no rows', (name) => {
  const config = configs[name];
  it('empties the audience: a replace of nothing where the destination takes one, else a removal of each row sent', async () => {
    const store = new MemoryStore();
    const batches: ChangeBatch[] = [];
    const engine = new MembershipEngine(store, { send: async (b) => void batches.push(...b) }, { report: async () => undefined });
    const hashed = hashFirst([config]);
    await engine.applyConfig(config.exportId, config);
    await engine.handleEvents(hashed([refresh([{ profileId: 'p1', attributes: { Email: 'one@example.com' } }, { profileId: 'p2', attributes: { Email: 'two@example.com' } }], 1)]));
    const audience = new Set<string>();
    const apply = () => {
      for (const b of batches.splice(0)) {
        if (b.mode.kind === 'full-sync' && b.mode.seq === 1) audience.clear();
        for (const c of b.changes) (c.op === 'add' ? audience.add(c.columns.EMAIL) : audience.delete(c.columns.EMAIL));
      }
    };
    apply();
    expect(audience.size).toBe(2);

    // Both still members, neither with a usable email any more, and nothing reconciled yet.
    const [unusable] = hashed([refresh([{ profileId: 'x', attributes: { Email: 'not an email' } }], 2)]);
    const attributes = unusable.type === 'refresh' ? unusable.members[0].attributes! : {};
    await store.saveProfiles(['p1', 'p2'].map((profileId) => ({ profileId, attributes, t: Date.parse(at(2)) })));

    await engine.handleRunRequest({ runId: 'now', exportId: config.exportId, requestedAt: at(3) });
    const fullSync = batches.filter((b) => b.mode.kind === 'full-sync');
    if (name === 'microsoft') expect(fullSync.map((b) => [b.mode, b.changes.length])).toEqual([[{ kind: 'full-sync', runId: 'now', seq: 1, last: true }, 0]]);
    else expect(fullSync).toEqual([]);
    expect(batches.filter((b) => b.run?.last)).toHaveLength(1);
    apply();
    expect(audience.size).toBe(0);
    expect(await store.sentAudiences(config.exportId)).toEqual([]);
  });
});
