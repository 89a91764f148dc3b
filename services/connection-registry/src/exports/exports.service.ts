import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Topics } from '@audience-sync/contracts';
import { ContractProducer } from '@audience-sync/kafka';
import { Principal } from '../auth/principal';
import { conflict, invalid, notFound } from '../common/api-error';
import { PageQuery } from '../common/zod-body';
import { ConnectionsService } from '../connections/connections.service';
import { connectionStatus } from '../connections/connection-status';
import { ConnectionDoc, ExportDoc, Models, RunDoc } from '../models';
import { createExportBody, REQUIRED_KEYS, updateExportBody } from './export.dto';
import { ExportConfigPublisher } from './export-config.publisher';

type ExportFields = Pick<ExportDoc, 'displayName' | 'segments' | 'facebook' | 'microsoft'>;

@Injectable()
export class ExportsService {
  constructor(
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.connection) private readonly connectionModel: Model<ConnectionDoc>,
    @InjectModel(Models.run) private readonly runs: Model<RunDoc>,
    private readonly connections: ConnectionsService,
    private readonly publisher: ExportConfigPublisher,
    private readonly producer: ContractProducer,
  ) {}

  /** Saving does not run the export; the pipeline is told the configuration only. */
  async create(principal: Principal, body: z.infer<typeof createExportBody>): Promise<ExportDoc> {
    const connection = await this.connections.visible(principal, body.connectionId).catch(() => {
      throw invalid('the export is invalid', [{ path: 'connectionId', message: `no connection ${body.connectionId} that you may use` }]);
    });
    this.connections.assertUsable(principal, connection);
    const fields = this.validate(connection, body);
    const doc = await this.exports.create({ _id: randomUUID(), connectionId: connection._id, ...fields, version: 1, createdBy: principal.name });
    const saved = doc.toObject();
    await this.publisher.publish(saved, connection);
    return saved;
  }

  async list(principal: Principal, page: PageQuery): Promise<ExportDoc[]> {
    const filter = principal.role === 'administrator' ? {} : { connectionId: { $in: await this.usableConnectionIds() } };
    return this.exports.find(filter).sort({ createdAt: 1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
  }

  async visible(principal: Principal, id: string): Promise<{ exportDoc: ExportDoc; connection: ConnectionDoc }> {
    const exportDoc = await this.exports.findById(id).lean();
    if (!exportDoc) throw notFound('export', id);
    const connection = await this.connections.visible(principal, exportDoc.connectionId).catch(() => {
      throw notFound('export', id);
    });
    return { exportDoc, connection };
  }

  async update(principal: Principal, id: string, body: z.infer<typeof updateExportBody>): Promise<ExportDoc> {
    const { exportDoc, connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    const fields = this.validate(connection, { ...exportDoc, facebook: exportDoc.facebook ?? undefined, microsoft: exportDoc.microsoft ?? undefined, ...body });
    const updated = await this.exports.findOneAndUpdate({ _id: id, version: exportDoc.version }, { $set: fields, $inc: { version: 1 } }, { new: true }).lean();
    if (!updated) throw conflict(`export ${id} was changed by someone else meanwhile; read it again and retry`);
    await this.publisher.publish(updated, connection);
    return updated;
  }

  /** The pipeline is told first (tombstone, acknowledged by the broker); then the record goes. */
  async remove(principal: Principal, id: string): Promise<void> {
    const { connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    await this.publisher.retract([id]);
    await this.exports.deleteOne({ _id: id });
  }

  async startRun(principal: Principal, id: string): Promise<{ run: RunDoc; destination: ConnectionDoc['destination'] }> {
    const { exportDoc, connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    const status = connectionStatus(connection);
    if (status.state !== 'ready') throw conflict(`export ${id} cannot run: connection ${connection._id} is not ready (${status.message})`);
    const run = await this.runs.create({ _id: randomUUID(), exportId: exportDoc._id, trigger: 'on-demand', requestedBy: principal.name, stages: {} });
    await this.producer.send(Topics.runRequests, [{ key: exportDoc._id, value: { runId: run._id, exportId: exportDoc._id, requestedAt: new Date().toISOString() } }]);
    return { run: run.toObject(), destination: connection.destination };
  }

  async runsOf(principal: Principal, id: string, page: PageQuery): Promise<{ runs: RunDoc[]; destination: ConnectionDoc['destination'] }> {
    const { connection } = await this.visible(principal, id);
    const runs = await this.runs.find({ exportId: id }).sort({ createdAt: -1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
    return { runs, destination: connection.destination };
  }

  private async usableConnectionIds(): Promise<string[]> {
    return (await this.connectionModel.find({ usableBy: 'administrators-and-contributors' }, { _id: 1 }).lean()).map((c) => c._id);
  }

  /** Per-destination rules; every problem is reported with its field path. */
  private validate(connection: ConnectionDoc, body: Partial<z.infer<typeof createExportBody>>): ExportFields {
    const problems: { path: string; message: string }[] = [];
    const segments = body.segments ?? [];
    if (new Set(segments.map((s) => s.id)).size !== segments.length) problems.push({ path: 'segments', message: 'a segment is listed twice' });
    if (connection.destination === 'facebook-ads') {
      if (body.microsoft) problems.push({ path: 'microsoft', message: 'this is a Facebook connection; send a facebook block instead' });
      if (!body.facebook) problems.push({ path: 'facebook', message: 'a Facebook export needs { keyIdentifier, mappings }' });
      else {
        for (const key of REQUIRED_KEYS[body.facebook.keyIdentifier]) {
          if (!body.facebook.mappings[key]) problems.push({ path: `facebook.mappings.${key}`, message: `key identifier "${body.facebook.keyIdentifier}" needs ${key} mapped to a profile attribute` });
        }
      }
      if (!connection.facebook?.audienceId) problems.push({ path: 'connectionId', message: `connection ${connection._id} has no audience yet; choose one with PUT /connections/${connection._id}/facebook/audience` });
    } else {
      if (body.facebook) problems.push({ path: 'facebook', message: 'this is a Microsoft Advertising connection; send a microsoft block instead' });
      if (!body.microsoft) problems.push({ path: 'microsoft', message: 'a Microsoft Advertising export needs { customerId, accountId, emailAttribute }' });
    }
    if (problems.length > 0) throw invalid('the export is invalid', problems);
    return {
      displayName: body.displayName!,
      segments,
      facebook: connection.destination === 'facebook-ads' ? body.facebook! : null,
      microsoft: connection.destination === 'microsoft-advertising' ? body.microsoft! : null,
    };
  }
}
