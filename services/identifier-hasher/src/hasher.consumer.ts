import { Controller, Logger } from '@nestjs/common';
import { AudienceChangeBatch, FacebookChangeBatch, MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { ConsumeBatches, ContractProducer, ReceivedMessage } from '@audience-sync/kafka';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';

/**
 * audience-changes (plain identifiers) in, per-destination hashed changes out. Everything after
 * this point carries digests and counts only.
 */
@Controller()
export class HasherConsumer {
  private readonly logger = new Logger(HasherConsumer.name);

  constructor(private readonly producer: ContractProducer) {}

  @ConsumeBatches(Topics.audienceChanges, { groupId: 'identifier-hasher', partitionsConsumedConcurrently: 3 })
  async handle(messages: ReceivedMessage<AudienceChangeBatch>[]): Promise<void> {
    const facebook: { key: string | null; value: FacebookChangeBatch }[] = [];
    const microsoft: { key: string | null; value: MicrosoftChangeBatch }[] = [];
    for (const { key, value } of messages) {
      const common = { batchId: value.batchId, audience: value.audience, mode: value.mode, ...(value.run ? { run: value.run } : {}) };
      if (value.audience.destination === 'facebook-ads') {
        const rows = facebookRows(value.audience.facebookKeys ?? ['EMAIL'], value.changes);
        facebook.push({ key, value: { ...common, ...rows } });
        this.count(value.changes.length, rows.counts.rejectedRows);
      } else {
        const emails = microsoftEmails(value.changes);
        microsoft.push({ key, value: { ...common, ...emails } });
        this.count(value.changes.length, emails.counts.rejectedRows);
      }
    }
    await Promise.all([this.producer.send(Topics.facebookChanges, facebook), this.producer.send(Topics.microsoftChanges, microsoft)]);
  }

  private count(rows: number, rejected: number): void {
    if (rejected > 0) this.logger.debug(`rejected ${rejected} of ${rows} rows without a usable identifier`);
  }
}
