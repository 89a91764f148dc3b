import { Logger } from '@nestjs/common';
import { withIds } from '@audience-sync/runtime';
import { ExportConfig, MicrosoftChangeBatch } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { AudienceUnavailable, Destination, PermanentFailure, TermsNotAccepted, termsMessage } from '@audience-sync/delivery';
import { Account, AdApiError, CampaignApiError, CampaignClient, campaignHandling } from './campaign-client';
import { ListSizes, listSizeOf } from './list-size';

/** ApplyCustomerListUserData takes at most 1,000 items a call. */
const MAX_ITEMS = 1000;

/**
 * A per-item error that says nothing against the item (one the table retries or waits out:
 * InternalError, CallRateExceeded): the item is sent again. Any other is the platform refusing
 * that item (8004 EmailMustBeHashed, …), which sending it again cannot change: counted as invalid.
 */
function passing(error: AdApiError): boolean {
  const { action } = campaignHandling([error]);
  return action === 'retry' || action === 'throttle';
}

type Action = 'Add' | 'Remove' | 'Replace';

interface Applied {
  PartialErrors?: AdApiError[];
}

/** A segment's list as one export sends to it. */
interface Target {
  exportId: string;
  account: Account;
  name: string;
  accept: boolean | undefined;
  /** The batch belongs to a run that sends the audience's whole membership. */
  fills: boolean;
}

/** Where the sink asks for a full sync of an export whose list lost what was sent to it. */
export interface FullSyncRequester {
  requestFullSync(exportId: string, requestedBy: string): Promise<string | undefined>;
}

/**
 * One hashed batch to the Customer Match list named after its segment: found by name (created when
 * missing, found again after a restart or a 4853), then ApplyCustomerListUserData with up to 1,000
 * items a call. A full sync sends Replace first (with no items when its first batch has none) and
 * Add for the rest. PartialErrors are mapped back to the items by Index: refused items are counted
 * as invalid, items that failed for a passing reason are sent again.
 *
 * A list that is gone (deleted at the platform) is made again once; the new list holds none of what
 * was sent before, so the registry is asked for a full sync of the export first, unless this call is
 * the Replace that starts one. A list that still answers as gone after that makes the export wait
 * for an admin.
 */
export class CustomerMatchDelivery implements Destination<MicrosoftChangeBatch> {
  private readonly logger = new Logger(CustomerMatchDelivery.name);
  private readonly audienceIds = new Map<string, string>();
  /** The last id each list had here: a list found gone is known by the id that went. */
  private readonly lastIds = new Map<string, string>();
  /**
   * `exportId listKey goneId` of lists a full sync was asked for: once per list that went, even when
   * batches on several partitions find it gone at the same moment.
   */
  private readonly refills = new Set<string>();

  constructor(
    private readonly client: CampaignClient,
    private readonly registry: FullSyncRequester,
    /** `maxItems`: items a call, 1,000 unless a test wants a full sync to span calls with few items. */
    private readonly options: { maxItems?: number } = {},
  ) {}

  /**
   * A Microsoft audience is a segment's list in the export's customer and account. A batch made for
   * another account is stale, and so is one for a segment the export no longer has, unless it was
   * made under the current version: the streamer clearing the list of a segment that left.
   */
  names(batch: MicrosoftChangeBatch, config: ExportConfig): boolean {
    if (config.destination.type !== 'microsoft-advertising') return false;
    const { customerId, accountId, exportVersion, audienceKey } = batch.audience;
    if ((customerId ?? config.destination.customerId) !== config.destination.customerId || (accountId ?? config.destination.accountId) !== config.destination.accountId) return false;
    return exportVersion === config.version || config.segments.some((s) => s.id === audienceKey);
  }

  async deliver(batch: MicrosoftChangeBatch, config: ExportConfig, ctx: BatchContext) {
    if (config.destination.type !== 'microsoft-advertising') throw new PermanentFailure(`export ${config.exportId} is not a Microsoft Advertising export`);
    const target: Target = {
      exportId: config.exportId,
      account: { connectionId: config.connectionId, customerId: config.destination.customerId, accountId: config.destination.accountId },
      name: batch.audience.audienceName ?? batch.audience.audienceKey,
      accept: batch.audience.acceptTerms ?? config.destination.acceptCustomerMatchTerms,
      fills: batch.mode.kind === 'full-sync' || Boolean(batch.run?.fills),
    };
    const counts = { sent: 0, removed: 0, invalid: 0, failed: 0 };
    const send = async (first: Action, all: string[]) => {
      let [action, items] = [first, all];
      for (let attempt = 0; ; attempt += 1) {
        const partial = await this.apply(target, action, items, ctx);
        const again = partial.filter(passing);
        const codes = [...new Set(partial.map((e) => e.Code))].join(', ');
        if (again.some((e) => typeof e.Index !== 'number' || e.Index < 0 || e.Index >= items.length)) {
          throw new Error(`Microsoft Advertising answered ${codes} without saying for which items; the batch will be retried`);
        }
        const refused = partial.length - again.length;
        if (refused > 0) this.logger.warn(withIds({ exportId: target.exportId }, `Microsoft Advertising refused ${refused} item(s) of list "${target.name}" (${codes}); counted as invalid`));
        counts.invalid += refused;
        counts[action === 'Remove' ? 'removed' : 'sent'] += items.length - partial.length;
        if (again.length === 0) return;
        items = again.map((e) => items[e.Index!]);
        if (action === 'Replace') action = 'Add'; // the list was replaced already: what is left is added to it
        await this.client.retryAfter(attempt, `item errors ${codes}`, ctx.signal, ctx.heartbeat);
      }
    };
    const size = this.options.maxItems ?? MAX_ITEMS;
    const chunks = (items: string[]) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
    if (batch.mode.kind === 'full-sync') {
      const parts = chunks(batch.adds);
      // The first batch replaces even with no rows (none in the audience, or all dropped while
      // hashing): the list then holds nothing but what the later batches add. ApplyCustomerListUserData
      // documents at most 1,000 CustomerListItems and no least number (nillable; no error code for an
      // empty list), and Replace removes "all previous customer match data for this list" (Bulk
      // "Customer List Record", Action Type), so a Replace of no items empties the list.
      if (batch.mode.seq === 1) await send('Replace', parts.shift() ?? []);
      for (const part of parts) await send('Add', part);
      return counts;
    }
    for (const part of chunks(batch.removes)) await send('Remove', part);
    for (const part of chunks(batch.adds)) await send('Add', part);
    return counts;
  }

  /**
   * The size of the segment's list (see listSizeOf), named as the streamer names it: after the
   * segment's name in the export. A list not found (deleted, or never made) has no size: throws.
   */
  async audienceSize(audienceKey: string, config: ExportConfig, signal: AbortSignal) {
    if (config.destination.type !== 'microsoft-advertising') throw new Error(`export ${config.exportId} is not a Microsoft Advertising export`);
    const account = { connectionId: config.connectionId, customerId: config.destination.customerId, accountId: config.destination.accountId };
    const name = config.segments.find((s) => s.id === audienceKey)?.name ?? audienceKey;
    const ctx = { signal, heartbeat: async () => undefined };
    const id = this.audienceIds.get(this.key(account, name)) ?? (await this.find(account, name, ctx));
    if (!id) throw new Error(`no Customer Match list for segment ${audienceKey} in account ${account.accountId}`);
    const answer = await this.client.post<{ Audiences: (ListSizes | null)[] }>(account, '/Audiences/QueryByIds', { AudienceIds: [id], Type: 'CustomerList' }, signal, ctx.heartbeat);
    const list = answer.Audiences[0];
    if (!list) throw new Error(`Microsoft Advertising did not return the Customer Match list ${id}`);
    return listSizeOf(list);
  }

  /** One ApplyCustomerListUserData call; its PartialErrors. A list gone is made again once. */
  private async apply(target: Target, action: Action, items: string[], ctx: BatchContext): Promise<AdApiError[]> {
    const replacing = action === 'Replace';
    for (let madeAgain = false; ; madeAgain = true) {
      const audienceId = await this.audienceId(target, replacing, ctx);
      try {
        const answer = await this.client.post<Applied>(
          target.account,
          '/CustomerListUserData/Apply',
          { CustomerListUserData: { ActionType: action, AudienceId: audienceId, CustomerListItemSubType: 'Email', CustomerListItems: items, AcceptCustomerMatchTerm: target.accept } },
          ctx.signal,
          ctx.heartbeat,
        );
        return answer.PartialErrors ?? [];
      } catch (error) {
        if (!(error instanceof CampaignApiError)) throw error;
        if (error.action !== 'audience-gone') throw new PermanentFailure(error.handling.message ?? `Microsoft Advertising: ${error.message}`);
        if (madeAgain) throw this.unreachable(target, error);
        this.audienceIds.delete(this.key(target.account, target.name));
        // Asked before the list is looked up or made again: a crash in between cannot lose the request.
        if (!replacing) await this.refill(target, audienceId);
      }
    }
  }

  private unreachable(target: Target, error: CampaignApiError): AudienceUnavailable {
    const { customerId, accountId } = target.account;
    const problem = `Microsoft Advertising does not accept changes for the Customer Match list "${target.name}" in account ${accountId} (customer ${customerId}), even after finding or making the list again (${error.errors.map((e) => e.ErrorCode ?? e.Code).join(', ')}). Make sure the connection's user may manage audiences in that account, then change the export (PATCH /exports/{id}): its changes wait until then, nothing is dropped, and the change fills its lists again.`;
    return new AudienceUnavailable(`Microsoft Advertising: ${error.message} for the list "${target.name}" right after it was found or made again. ${problem}`, problem);
  }

  /**
   * Asks the registry for a full sync of the export, once per list that went (`goneId`: its last
   * id, or none when it was never seen here); throws when it cannot be asked, so the batch is kept.
   */
  private async refill(target: Target, goneId = 'unseen'): Promise<void> {
    const key = `${target.exportId} ${this.key(target.account, target.name)} ${goneId}`;
    if (this.refills.has(key)) return;
    // Taken before the request goes out, so a concurrent batch does not ask again meanwhile.
    this.refills.add(key);
    try {
      const runId = await this.registry.requestFullSync(target.exportId, 'sink-microsoft-ads');
      this.logger.warn(withIds({ exportId: target.exportId, runId }, `the Customer Match list "${target.name}" was gone; asked for a full sync to fill it again`));
    } catch (error) {
      this.refills.delete(key);
      throw error;
    }
  }

  private key(account: Account, name: string): string {
    return `${account.customerId}/${account.accountId}/${name.toLowerCase()}`;
  }

  /**
   * The list's id: known, found by name, or made. A list missing for anything but the Replace that
   * starts a full sync lost what was sent to it (deleted, perhaps while this sink was down): the
   * registry is asked for a full sync before it is made.
   */
  private async audienceId(target: Target, replacing: boolean, ctx: BatchContext): Promise<string> {
    const { account, name } = target;
    const key = this.key(account, name);
    const cached = this.audienceIds.get(key);
    if (cached) return cached;
    const found = await this.find(account, name, ctx);
    if (found) return this.remember(target, found);
    // Never seen here and not found: deleted while this sink was down, unless the run brings the whole audience anyway.
    if (!replacing && !(target.fills && !this.lastIds.has(key))) await this.refill(target, this.lastIds.get(key));
    const created = await this.client.post<{ AudienceIds: (string | null)[]; PartialErrors?: AdApiError[] }>(
      account,
      '/Audiences',
      { Audiences: [{ Name: name, Description: 'Kept in step with a customer-data-platform segment by audience-sync', Scope: 'Account', ParentId: account.accountId, MembershipDuration: 30, Type: 'CustomerList' }] },
      ctx.signal,
      ctx.heartbeat,
    );
    const id = created.AudienceIds?.[0];
    if (id) return this.remember(target, id);
    const handled = (created.PartialErrors ?? []).map((e) => campaignHandling([e]));
    // A terms failure arrives here, as a PartialError of a 200 (notes), as well as a fault the loop ends.
    const terms = handled.find((h) => h.action === 'terms');
    if (terms) throw new TermsNotAccepted(termsMessage('Microsoft Advertising', terms));
    if (handled.some((h) => h.action === 'duplicate-name')) {
      const again = await this.find(account, name, ctx);
      if (again) return this.remember(target, again);
    }
    throw new PermanentFailure(`Microsoft Advertising did not create the audience "${name}": ${(created.PartialErrors ?? []).map((e) => `${e.Code} ${e.ErrorCode ?? ''}`).join(', ') || 'no id returned'}`);
  }

  private remember(target: Target, id: string): string {
    const key = this.key(target.account, target.name);
    this.audienceIds.set(key, id);
    this.lastIds.set(key, id);
    return id;
  }

  private async find(account: Account, name: string, ctx: Pick<BatchContext, 'signal' | 'heartbeat'>): Promise<string | undefined> {
    const answer = await this.client.post<{ Audiences: ({ Id: string; Name: string } | null)[] }>(account, '/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' }, ctx.signal, ctx.heartbeat);
    return answer.Audiences.find((a) => a && a.Name.toLowerCase() === name.toLowerCase())?.Id;
  }
}
