import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ConfigApplied, PipelineStage } from '@audience-sync/contracts';
import { ReceivedMessage } from '@audience-sync/kafka';
import { AppliedConfigDoc, Models } from '../models';

export type AppliedVersions = Partial<Record<PipelineStage, number>>;

/**
 * Which configuration version of each export each pipeline stage has applied, folded from the
 * stages' compacted report topics. The newest version is kept ($max), so a replayed or late report
 * never takes it back; a stage's tombstone (it applied the export's deletion) removes its record.
 * AppliedConfigsConsumer feeds it.
 */
@Injectable()
export class AppliedConfigs {
  constructor(
    @InjectModel(Models.appliedConfig) private readonly applied: Model<AppliedConfigDoc>,
  ) {}

  async fold(stage: PipelineStage, messages: ReceivedMessage<ConfigApplied | null>[]): Promise<void> {
    for (const { key, value } of messages) {
      if (value) await this.applied.updateOne({ _id: `${value.exportId}/${stage}` }, { $max: { version: value.version }, $setOnInsert: { exportId: value.exportId, stage } }, { upsert: true });
      else if (key) await this.applied.deleteOne({ _id: `${key}/${stage}` });
    }
  }

  /** The versions each stage has applied, by export. */
  async of(exportIds: string[]): Promise<Map<string, AppliedVersions>> {
    const out = new Map<string, AppliedVersions>(exportIds.map((id) => [id, {}]));
    for (const doc of await this.applied.find({ exportId: { $in: exportIds } }).lean()) out.get(doc.exportId)![doc.stage] = doc.version;
    return out;
  }
}
