import { ExportConfig, MicrosoftChangeBatch } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { Destination, PermanentFailure } from '@audience-sync/delivery';
import { Account, AdApiError, CampaignApiError, CampaignClient } from './campaign-client';

const MAX_ITEMS = 1000;
const TERMS = 'Microsoft Advertising: the Customer Match terms are not accepted for this account; accept the Customer Match terms in Microsoft Advertising (Tools > Audiences), then run the export again';

interface Applied {
  PartialErrors?: AdApiError[];
}

/**
 * One hashed batch to the Customer Match list named after its segment: found by name (created when
 * missing, found again after a restart or a 4853), then ApplyCustomerListUserData with up to 1,000
 * items a call. A full sync sends Replace first and Add for the rest. PartialErrors are mapped back
 * to the items by Index and counted.
 */
export class CustomerMatchDelivery implements Destination<MicrosoftChangeBatch> {
  private readonly audienceIds = new Map<string, string>();

  constructor(private readonly client: CampaignClient) {}

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
    const account: Account = { connectionId: config.connectionId, customerId: config.destination.customerId, accountId: config.destination.accountId };
    const name = batch.audience.audienceName ?? batch.audience.audienceKey;
    const accept = batch.audience.acceptTerms ?? config.destination.acceptCustomerMatchTerms;
    const counts = { sent: 0, removed: 0, invalid: 0, failed: 0 };
    const apply = async (action: 'Add' | 'Remove' | 'Replace', items: string[]) => {
      for (let attempt = 0; ; attempt += 1) {
        const audienceId = await this.audienceId(account, name, ctx);
        try {
          const answer = await this.client.post<Applied>(account, '/CustomerListUserData/Apply', { CustomerListUserData: { ActionType: action, AudienceId: audienceId, CustomerListItemSubType: 'Email', CustomerListItems: items, AcceptCustomerMatchTerm: accept } }, ctx.signal, ctx.heartbeat);
          const partial = answer.PartialErrors ?? [];
          const invalid = partial.filter((e) => e.Code === 8004).length;
          const failed = partial.length - invalid;
          counts.invalid += invalid;
          counts.failed += failed;
          if (action === 'Remove') counts.removed += items.length - partial.length;
          else counts.sent += items.length - partial.length;
          return;
        } catch (error) {
          if (error instanceof CampaignApiError && error.has(8003)) throw new PermanentFailure(TERMS);
          if (error instanceof CampaignApiError && (error.has(8000) || error.has(4835)) && attempt === 0) {
            this.audienceIds.delete(this.key(account, name)); // the list is gone: find or create it again
            continue;
          }
          if (error instanceof CampaignApiError) throw new PermanentFailure(`Microsoft Advertising: ${error.message}`);
          throw error;
        }
      }
    };
    const chunks = (items: string[]) => Array.from({ length: Math.ceil(items.length / MAX_ITEMS) }, (_, i) => items.slice(i * MAX_ITEMS, (i + 1) * MAX_ITEMS));
    if (batch.mode.kind === 'full-sync') {
      const parts = chunks(batch.adds);
      for (const [i, part] of parts.entries()) await apply(batch.mode.seq === 1 && i === 0 ? 'Replace' : 'Add', part);
      return counts;
    }
    for (const part of chunks(batch.removes)) await apply('Remove', part);
    for (const part of chunks(batch.adds)) await apply('Add', part);
    return counts;
  }

  private key(account: Account, name: string): string {
    return `${account.customerId}/${account.accountId}/${name.toLowerCase()}`;
  }

  private async audienceId(account: Account, name: string, ctx: BatchContext): Promise<string> {
    const key = this.key(account, name);
    const known = this.audienceIds.get(key) ?? (await this.find(account, name, ctx));
    if (known) {
      this.audienceIds.set(key, known);
      return known;
    }
    const created = await this.client.post<{ AudienceIds: (string | null)[]; PartialErrors?: AdApiError[] }>(
      account,
      '/Audiences',
      { Audiences: [{ Name: name, Description: 'Kept in step with a customer-data-platform segment by audience-sync', Scope: 'Account', ParentId: account.accountId, MembershipDuration: 30, Type: 'CustomerList' }] },
      ctx.signal,
      ctx.heartbeat,
    );
    const id = created.AudienceIds?.[0];
    if (id) {
      this.audienceIds.set(key, id);
      return id;
    }
    const codes = (created.PartialErrors ?? []).map((e) => e.Code);
    if (codes.includes(8003)) throw new PermanentFailure(TERMS);
    if (codes.includes(4853)) {
      const found = await this.find(account, name, ctx);
      if (found) {
        this.audienceIds.set(key, found);
        return found;
      }
    }
    throw new PermanentFailure(`Microsoft Advertising did not create the audience "${name}": ${(created.PartialErrors ?? []).map((e) => `${e.Code} ${e.ErrorCode ?? ''}`).join(', ') || 'no id returned'}`);
  }

  private async find(account: Account, name: string, ctx: BatchContext): Promise<string | undefined> {
    const answer = await this.client.post<{ Audiences: ({ Id: string; Name: string } | null)[] }>(account, '/Audiences/QueryByIds', { AudienceIds: [], Type: 'CustomerList' }, ctx.signal, ctx.heartbeat);
    return answer.Audiences.find((a) => a && a.Name.toLowerCase() === name.toLowerCase())?.Id;
  }
}
