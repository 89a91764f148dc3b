import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ExportConfig, Topics } from '@audience-sync/contracts';
import { registryPartsOf } from '@audience-sync/destinations';
import { ContractProducer } from '@audience-sync/kafka';
import { ConnectionDoc, ExportDoc, Models } from '../models';
import { connectionStatus } from '../connections/connection-status';
import { settingsBlock } from './export-settings';

/**
 * Publishes the effective export configuration (no secrets) to the compacted config topic, and a
 * tombstone when an export goes away. The send is awaited with acks from all replicas before the
 * API answers, so "deleted" means the pipeline has been told.
 */
@Injectable()
export class ExportConfigPublisher {
  constructor(
    private readonly producer: ContractProducer,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.connection) private readonly connections: Model<ConnectionDoc>,
  ) {}

  async publish(exportDoc: ExportDoc, connection: ConnectionDoc): Promise<void> {
    await this.producer.send(Topics.exportConfigs, [{ key: exportDoc._id, value: toConfig(exportDoc, connection) }]);
  }

  async publishForConnection(connectionId: string): Promise<void> {
    const connection = await this.connections.findById(connectionId).lean();
    if (!connection) return;
    const exports = await this.exports.find({ connectionId }).lean();
    await this.producer.send(Topics.exportConfigs, exports.map((e) => ({ key: e._id, value: toConfig(e, connection) })));
  }

  async retract(exportIds: string[]): Promise<void> {
    await this.producer.send(Topics.exportConfigs, exportIds.map((id) => ({ key: id, value: null })));
  }
}

function toConfig(e: ExportDoc, c: ConnectionDoc): ExportConfig {
  const parts = registryPartsOf(c.destination);
  const settings = settingsBlock(e, parts);
  if (!settings) throw new Error(`export ${e._id} has no ${parts.settingsKey} block for its ${parts.id} connection`);
  return {
    exportId: e._id,
    version: e.version,
    displayName: e.displayName,
    connectionId: c._id,
    connectionState: connectionStatus(c).state === 'needs-reauthentication' ? ('needs-reauthentication' as const) : ('active' as const),
    segments: e.segments.map((s) => ({ id: s.id, name: s.name })),
    ...(e.problem ? { problem: e.problem } : {}),
    ...(e.paused ? { paused: true } : {}),
    maxProfiles: parts.maxProfiles,
    updatedAt: new Date(e.updatedAt).toISOString(),
    destination: parts.toDestination(settings, { consentAgreedAt: c.consent?.agreedAt }),
  };
}
