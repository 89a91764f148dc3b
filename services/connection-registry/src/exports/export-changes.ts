import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ExportChangeDoc, ExportDoc, Models } from '../models';

/** A writer that held a change this long died before it let go: another may take it. */
const ABANDONED_MS = 30_000;

const isDuplicate = (error: unknown) => (error as { code?: unknown }).code === 11000;

/**
 * Compare-and-set of an export's version that holds on FerretDB as on MongoDB. The version is the
 * export's optimistic lock: a change names the version it was made to, and writes the next one.
 * Two conditional updates of one document at once both matched on FerretDB (lost updates), so a
 * change first inserts `<exportId>@<version>`: the unique `_id` lets one writer per version in.
 */
@Injectable()
export class ExportChanges {
  constructor(
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.exportChange) private readonly changes: Model<ExportChangeDoc>,
  ) {}

  /**
   * Sets `fields` and version `from + 1` if the export is at version `from` and no other change
   * from that version runs; the updated export, or null (another change came first).
   */
  async write(id: string, from: number, fields: Partial<ExportDoc>): Promise<ExportDoc | null> {
    const change = `${id}@${from}`;
    if (!(await this.hold(change))) return null;
    try {
      return await this.exports.findOneAndUpdate({ _id: id, version: from }, { $set: { ...fields, version: from + 1 } }, { new: true }).lean();
    } finally {
      // A change from this version that starts later finds the export at the next one.
      await this.changes.deleteOne({ _id: change });
    }
  }

  private async hold(change: string): Promise<boolean> {
    if (await this.insert(change)) return true;
    const { deletedCount } = await this.changes.deleteOne({ _id: change, createdAt: { $lt: new Date(Date.now() - ABANDONED_MS) } });
    return deletedCount > 0 && (await this.insert(change));
  }

  private async insert(change: string): Promise<boolean> {
    try {
      await this.changes.create({ _id: change, createdAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicate(error)) return false;
      throw error;
    }
  }
}
