import { ExportConfig, MicrosoftChangeBatch } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { AudienceUnavailable, PermanentFailure } from '@audience-sync/delivery';
import { AdApiError, CampaignApiError, CampaignClient } from './campaign-client';
import { CustomerMatchDelivery } from './customer-match-delivery';

const exportConfig = (version: number): ExportConfig => ({
  exportId: 'e',
  version,
  displayName: 'ms',
  connectionId: 'c',
  connectionState: 'active',
  segments: [{ id: 'loyal', name: 'Loyal' }],
  maxProfiles: 500_000,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'microsoft-advertising', customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true },
});

describe('CustomerMatchDelivery.names: which batches the export config still owns', () => {
  const delivery = new CustomerMatchDelivery({} as CampaignClient, {} as never);
  const config = exportConfig(3);
  const batch = (exportVersion: number, audienceKey: string, accountId = '2000001'): MicrosoftChangeBatch => ({
    batchId: 'b',
    audience: { exportId: 'e', exportVersion, connectionId: 'c', destination: 'microsoft-advertising', audienceKey, audienceName: audienceKey, customerId: '1000001', accountId },
    mode: { kind: 'delta' },
    adds: [],
    removes: [],
    counts: { droppedValues: {}, rejectedRows: 0 },
  });

  it('owns a segment it names, in its account, whatever the version the batch was made under', () => {
    expect(delivery.names(batch(2, 'loyal'), config)).toBe(true);
    expect(delivery.names(batch(3, 'loyal'), config)).toBe(true);
  });

  it('does not own a batch made for another account: the export moved', () => {
    expect(delivery.names(batch(2, 'loyal', '2000002'), config)).toBe(false);
  });

  it('owns the current version clearing a segment that left, not an older batch for it', () => {
    expect(delivery.names(batch(3, 'churned'), config)).toBe(true);
    expect(delivery.names(batch(2, 'churned'), config)).toBe(false);
  });
});

describe('CustomerMatchDelivery.deliver: lists that vanish and items the platform refuses', () => {
  const config = exportConfig(1);
  const digest = (i: number) => i.toString(16).padStart(64, '0');
  const batch = (ids: number[], mode: MicrosoftChangeBatch['mode'] = { kind: 'delta' }): MicrosoftChangeBatch => ({
    batchId: 'b',
    audience: { exportId: 'e', exportVersion: 1, connectionId: 'c', destination: 'microsoft-advertising', audienceKey: 'loyal', audienceName: 'Loyal', customerId: '1000001', accountId: '2000001' },
    mode,
    adds: ids.map(digest),
    removes: [],
    counts: { droppedValues: {}, rejectedRows: 0 },
  });
  const ctx = { signal: new AbortController().signal, heartbeat: async () => undefined } as unknown as BatchContext;

  /** The platform as the sink sees it: lists by id, ApplyCustomerListUserData answered by `answer`. */
  function platform() {
    const lists = new Map<string, { name: string; members: Set<string> }>();
    const applied: { action: string; audienceId: string; items: string[] }[] = [];
    let nextId = 100;
    const state = {
      lists,
      applied,
      /** Ids that answer 8000 whatever they hold (a list the connection's user cannot reach). */
      unreachable: false,
      answer: (_items: string[]): AdApiError[] => [],
      waits: 0,
    };
    const client = {
      async post(_account: unknown, path: string, body: any) {
        if (path === '/Audiences/QueryByIds') return { Audiences: [...lists].map(([Id, l]) => ({ Id, Name: l.name })) };
        if (path === '/Audiences') {
          const id = String((nextId += 1));
          lists.set(id, { name: body.Audiences[0].Name, members: new Set() });
          return { AudienceIds: [id], PartialErrors: [] };
        }
        const { ActionType, AudienceId, CustomerListItems } = body.CustomerListUserData;
        const list = lists.get(AudienceId);
        if (!list || state.unreachable) throw new CampaignApiError([{ Code: 8000, ErrorCode: 'InvalidCustomerListId', Message: 'The customer list identifier is invalid.' }]);
        applied.push({ action: ActionType, audienceId: AudienceId, items: CustomerListItems });
        const errors = state.answer(CustomerListItems);
        if (ActionType === 'Replace') list.members.clear();
        CustomerListItems.forEach((item: string, i: number) => {
          if (errors.some((e) => e.Index === i)) return;
          if (ActionType === 'Remove') list.members.delete(item);
          else list.members.add(item);
        });
        return { PartialErrors: errors };
      },
      async retryAfter(attempt: number, what: string) {
        state.waits += 1;
        if (attempt + 1 >= 3) throw new Error(`Microsoft Advertising kept failing (${what}) after ${attempt + 1} attempts; the batch will be retried`);
      },
    };
    return { state, client: client as unknown as CampaignClient };
  }
  const registry = () => {
    const asked: string[] = [];
    let refuse = 0;
    return {
      asked,
      refuseNext: (n: number) => (refuse = n),
      client: {
        async requestFullSync(exportId: string) {
          if (refuse > 0) {
            refuse -= 1;
            throw new Error('the registry answered 503 when asked for a full sync of export e');
          }
          asked.push(exportId);
          return 'run-1';
        },
      },
    };
  };
  const members = (state: ReturnType<typeof platform>['state'], id: string) => [...(state.lists.get(id)?.members ?? [])].sort();

  it('makes a deleted list again and asks the registry once for a full sync of the export', async () => {
    const { state, client } = platform();
    const reg = registry();
    const delivery = new CustomerMatchDelivery(client, reg.client as never);
    await delivery.deliver(batch([1, 2], { kind: 'full-sync', seq: 1 } as never), config, ctx);
    const [first] = state.lists.keys();
    expect(reg.asked).toEqual([]); // a Replace fills a new list by itself
    state.lists.delete(first);
    expect(await delivery.deliver(batch([3]), config, ctx)).toEqual({ sent: 1, removed: 0, invalid: 0, failed: 0 });
    const [second] = state.lists.keys();
    expect(second).not.toBe(first);
    expect(reg.asked).toEqual(['e']);
    await delivery.deliver(batch([4]), config, ctx);
    expect(reg.asked).toEqual(['e']); // once per list made again
    expect(members(state, second)).toEqual([digest(3), digest(4)]);
  });

  it('asks once when batches on several partitions find the list gone at the same moment', async () => {
    const { state, client } = platform();
    const reg = registry();
    const delivery = new CustomerMatchDelivery(client, reg.client as never);
    await delivery.deliver(batch([1, 2], { kind: 'full-sync', seq: 1 } as never), config, ctx);
    state.lists.clear();
    await Promise.all([delivery.deliver(batch([3]), config, ctx), delivery.deliver(batch([4]), config, ctx), delivery.deliver(batch([5]), config, ctx)]);
    expect(reg.asked).toEqual(['e']);
    // A later deletion of the list made again is another loss: asked again.
    state.lists.clear();
    await delivery.deliver(batch([6]), config, ctx);
    expect(reg.asked).toEqual(['e', 'e']);
  });

  it('leaves the batch to be retried when the registry cannot be asked, and asks again on the retry', async () => {
    const { state, client } = platform();
    const reg = registry();
    const delivery = new CustomerMatchDelivery(client, reg.client as never);
    await delivery.deliver(batch([1], { kind: 'full-sync', seq: 1 } as never), config, ctx);
    state.lists.clear();
    reg.refuseNext(1);
    const attempt = delivery.deliver(batch([2]), config, ctx);
    await expect(attempt).rejects.toThrow(/full sync/);
    await expect(attempt).rejects.not.toBeInstanceOf(PermanentFailure);
    await expect(attempt).rejects.not.toBeInstanceOf(AudienceUnavailable);
    expect(await delivery.deliver(batch([2]), config, ctx)).toMatchObject({ sent: 1 });
    expect(reg.asked).toEqual(['e']);
  });

  it('asks for a full sync before making a list that is missing for a delta (deleted while the sink was down)', async () => {
    const { state, client } = platform();
    const reg = registry();
    await new CustomerMatchDelivery(client, reg.client as never).deliver(batch([5]), config, ctx);
    expect(reg.asked).toEqual(['e']);
    expect(state.lists.size).toBe(1);
  });

  it('makes the list of a new export without asking: its first refresh sends the whole audience anyway', async () => {
    const { state, client } = platform();
    const reg = registry();
    const first = { ...batch([5]), run: { runId: 'refresh-1', trigger: 'refresh' as const, audiences: 1, last: true, fills: true } };
    await new CustomerMatchDelivery(client, reg.client as never).deliver(first, config, ctx);
    expect(reg.asked).toEqual([]);
    expect(state.lists.size).toBe(1);
  });

  it('a list that still answers 8000 right after it was made again makes the export wait for an admin', async () => {
    const { state, client } = platform();
    const reg = registry();
    const delivery = new CustomerMatchDelivery(client, reg.client as never);
    await delivery.deliver(batch([1], { kind: 'full-sync', seq: 1 } as never), config, ctx);
    state.unreachable = true;
    const attempt = delivery.deliver(batch([2]), config, ctx);
    await expect(attempt).rejects.toBeInstanceOf(AudienceUnavailable);
    const error = (await attempt.catch((e) => e)) as AudienceUnavailable;
    expect(error.message).toMatch(/8000/);
    expect(error.problem).toMatch(/Loyal.*account 2000001.*PATCH \/exports\/\{id\}/s);
    expect(error.problem).not.toMatch(/[0-9a-f]{64}/);
  });

  it('counts items refused for good as invalid and sends items that failed for a passing reason again', async () => {
    const { state, client } = platform();
    let calls = 0;
    state.answer = (items) => {
      calls += 1;
      if (calls > 1) return [];
      return [
        { Code: 8004, ErrorCode: 'EmailMustBeHashed', Index: 0 },
        { Code: 0, ErrorCode: 'InternalError', Index: 1 },
        { Code: 9999, ErrorCode: 'AnyOtherItemError', Index: 2 },
      ].filter((e) => e.Index < items.length);
    };
    const delivery = new CustomerMatchDelivery(client, registry().client as never);
    const counts = await delivery.deliver(batch([1, 2, 3, 4], { kind: 'full-sync', seq: 1 } as never), config, ctx);
    expect(counts).toEqual({ sent: 2, removed: 0, invalid: 2, failed: 0 });
    expect(state.applied.map((a) => [a.action, a.items])).toEqual([
      ['Replace', [1, 2, 3, 4].map(digest)],
      ['Add', [digest(2)]], // after the Replace, only the failed item, added
    ]);
    const [id] = state.lists.keys();
    expect(members(state, id)).toEqual([digest(2), digest(4)]);
  });

  it('leaves the batch uncommitted when items keep failing for a passing reason', async () => {
    const { state, client } = platform();
    state.answer = () => [{ Code: 0, ErrorCode: 'InternalError', Index: 0 }];
    const attempt = new CustomerMatchDelivery(client, registry().client as never).deliver(batch([1, 2]), config, ctx);
    await expect(attempt).rejects.toThrow(/will be retried/);
    await expect(attempt).rejects.not.toBeInstanceOf(PermanentFailure);
  });
});
