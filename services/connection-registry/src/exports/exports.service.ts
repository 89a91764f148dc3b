import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Topics } from '@audience-sync/contracts';
import { allRegistryParts, AudienceChoice, ChosenAudience, facebookChooseAudienceBody, FieldProblem, registryPartsOf } from '@audience-sync/destinations';
import { ContractProducer } from '@audience-sync/kafka';
import { withIds } from '@audience-sync/runtime';
import { Principal } from '../auth/principal';
import { conflict, invalid, notFound, versionMismatch } from '../common/api-error';
import { PageQuery } from '../common/zod-body';
import { ConnectionsService } from '../connections/connections.service';
import { connectionStatus } from '../connections/connection-status';
import { ConnectionDoc, ExportDoc, Models, RunDoc, RunStageDoc } from '../models';
import { createExportBody, runRequestBody, updateExportBody } from './export.dto';
import { ExportConfigPublisher } from './export-config.publisher';
import { ExportChanges } from './export-changes';
import { exportPartsOf, settingsBlock } from './export-settings';
import { AuditLog, changedFields } from '../audit/audit-log.service';

/** Display name, segments, and every destination's settings block: the connection's set, the others null. */
type ExportFields = Pick<ExportDoc, 'displayName' | 'segments'> & Record<string, unknown>;

export interface AudienceMove {
  connection: ConnectionDoc;
  /** Exports now feeding the new audience, each with the run that brings it in line. */
  moved: { exportId: string; runId: string }[];
  /** Exports that keep feeding the audience they fed before. */
  staying: string[];
}

@Injectable()
export class ExportsService implements OnModuleInit {
  private readonly logger = new Logger(ExportsService.name);

  constructor(
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.connection) private readonly connectionModel: Model<ConnectionDoc>,
    @InjectModel(Models.run) private readonly runs: Model<RunDoc>,
    @InjectModel(Models.runStage) private readonly runStages: Model<RunStageDoc>,
    private readonly connections: ConnectionsService,
    private readonly publisher: ExportConfigPublisher,
    private readonly producer: ContractProducer,
    private readonly changes: ExportChanges,
    private readonly audit: AuditLog,
  ) {}

  /** Saving does not run the export; the pipeline is told the configuration only. */
  async create(principal: Principal, body: z.infer<typeof createExportBody>): Promise<ExportDoc> {
    const connection = await this.connections.visible(principal, body.connectionId).catch(() => {
      throw invalid('the export is invalid', [{ path: 'connectionId', message: `no connection ${body.connectionId} that you may use` }]);
    });
    this.connections.assertUsable(principal, connection);
    const fields = await this.validate(connection, body);
    const doc = await this.exports.create({ _id: randomUUID(), connectionId: connection._id, ...fields, version: 1, createdBy: principal.name });
    const saved = doc.toObject();
    await this.publisher.publish(saved, connection);
    await this.audit.record({ action: 'create', objectType: 'export', objectId: saved._id }, principal);
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

  /**
   * `expected` is the version the client changed (If-Match); without it, the version read here.
   * Returns the run it started when the change needs the audience filled again.
   */
  async update(principal: Principal, id: string, body: z.infer<typeof updateExportBody>, expected?: number): Promise<ExportDoc & { startedRun?: string }> {
    const { exportDoc, connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    if (expected !== undefined && expected !== exportDoc.version) throw versionMismatch(`export ${id}`, `/exports/${id}`, exportDoc.version, expected);
    const { paused, ...changes } = body;
    // Pausing or resuming alone changes no settings: they are not checked again, and a problem the
    // export has stays (it waits for the change that fixes it, which then starts the full sync).
    // Any other change is the admin acting on the export: a problem it had is taken as dealt with.
    const settings = paused === undefined || Object.keys(changes).length > 0 ? { ...(await this.validate(connection, { ...exportDoc, ...changes }, exportDoc)), problem: null } : {};
    const updated = await this.changes.write(id, exportDoc.version, { ...settings, ...pauseOf(exportDoc, paused, principal.name) });
    if (!updated) throw conflict(`export ${id} was changed by another request meanwhile; read it again (GET /exports/${id}) and send your change with If-Match set to its ETag`);
    await this.publisher.publish(updated, connection);
    // While paused nothing runs: the resume's full sync covers every change made meanwhile. The
    // streamer left what was sent as it was, so that sync brings the audience exactly to the
    // members of now, additions and removals made while paused included.
    const resumed = Boolean(exportDoc.paused) && !updated.paused;
    const refill =
      !updated.paused &&
      !updated.problem &&
      (resumed || Boolean(exportDoc.problem) || changedAudience(exportDoc, updated) || (changedMembers(exportDoc, updated) && (await this.runs.exists({ exportId: id, trigger: { $ne: 'dry-run' } })) !== null));
    const startedRun = refill ? (await this.requestRun(updated, principal.name))._id : undefined;
    await this.audit.record({ action: 'update', objectType: 'export', objectId: id, changedFields: changedFields(exportDoc, updated, Object.keys(settings).concat('paused')), runId: startedRun }, principal);
    return { ...updated, ...(startedRun ? { startedRun } : {}) };
  }

  /** A sink found the audience empty of what was sent (e.g. a Microsoft list made again): a full sync fills it. */
  async requestRefill(id: string, requestedBy: string): Promise<RunDoc> {
    const doc = await this.exports.findById(id).lean();
    if (!doc) throw notFound('export', id);
    return this.requestRun(doc, requestedBy);
  }

  /**
   * A full sync of each export on the connection that can run (not paused, no problem waiting for
   * an admin), started as a resume starts one: after the provider's terms were accepted, what
   * failed meanwhile is sent again.
   */
  async fullSyncsOf(principal: Principal, connectionId: string): Promise<{ exportId: string; runId: string }[]> {
    const runnable = (await this.exports.find({ connectionId }).sort({ createdAt: 1, _id: 1 }).lean()).filter((e) => !e.paused && !e.problem);
    const started: { exportId: string; runId: string }[] = [];
    for (const exportDoc of runnable) started.push({ exportId: exportDoc._id, runId: (await this.requestRunAudited(exportDoc, principal))._id });
    return started;
  }

  /** The pipeline is told first (tombstone, acknowledged by the broker); then the record goes. */
  async remove(principal: Principal, id: string): Promise<void> {
    const { connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    await this.publisher.retract([id]);
    await this.exports.deleteOne({ _id: id });
    await this.audit.record({ action: 'delete', objectType: 'export', objectId: id }, principal);
  }

  /**
   * A dry run sends nothing, so it needs no working connection and runs while the export is
   * paused: it shows what a run (or the resume's full sync) would do.
   */
  async startRun(principal: Principal, id: string, { dryRun }: z.infer<typeof runRequestBody>): Promise<{ run: RunDoc; destination: ConnectionDoc['destination'] }> {
    const { exportDoc, connection } = await this.visible(principal, id);
    this.connections.assertUsable(principal, connection);
    if (dryRun) return { run: await this.requestRun(exportDoc, principal.name, true), destination: connection.destination };
    if (exportDoc.paused) {
      throw conflict(
        `export ${id} is paused (by ${exportDoc.paused.by} since ${new Date(exportDoc.paused.at).toISOString()}): nothing is sent for it. ` +
          `Resume it with PATCH /exports/${id} with {"paused": false}, which starts a full sync; a dry run ({"dryRun": true}) works while paused.`,
      );
    }
    const status = connectionStatus(connection);
    // An export with its own audience does not need the connection's default one.
    if (status.state !== 'ready' && status.state !== 'awaiting-audience') throw conflict(`export ${id} cannot run: connection ${connection._id} is not ready (${status.message})`);
    if (exportDoc.problem) throw conflict(`export ${id} cannot run: ${exportDoc.problem}`);
    return { run: await this.requestRunAudited(exportDoc, principal), destination: connection.destination };
  }

  /** A full sync someone asked for, in the audit log under their name. */
  private async requestRunAudited(exportDoc: ExportDoc, principal: Principal): Promise<RunDoc> {
    const run = await this.requestRun(exportDoc, principal.name);
    await this.audit.record({ action: 'run-requested', objectType: 'export', objectId: exportDoc._id, runId: run._id }, principal);
    return run;
  }

  /** A full sync (or a dry run of one), asked of the pipeline once it has the export's current configuration. */
  private async requestRun(exportDoc: ExportDoc, requestedBy: string, dryRun = false): Promise<RunDoc> {
    const run = await this.runs.create({ _id: randomUUID(), exportId: exportDoc._id, trigger: dryRun ? 'dry-run' : 'on-demand', requestedBy });
    const request = { runId: run._id, exportId: exportDoc._id, exportVersion: exportDoc.version, requestedAt: new Date().toISOString(), ...(dryRun ? { dryRun } : {}) };
    await this.producer.send(Topics.runRequests, [{ key: exportDoc._id, value: request }]);
    return run.toObject();
  }

  /**
   * A new default audience for a Facebook connection. Exports that fed the old one move only when
   * the admin says so (`moveExports`); each moved export gets a full sync so the new audience
   * holds its members. The old audience is left as it is.
   */
  async chooseConnectionAudience(principal: Principal, connectionId: string, body: z.infer<typeof facebookChooseAudienceBody>): Promise<AudienceMove> {
    const connection = await this.connections.audienceConnection(connectionId);
    const onConnection = await this.exports.find({ connectionId }).lean();
    const following = onConnection.filter((e) => connection.facebook && e.facebook?.audience.audienceId === connection.facebook.audienceId);
    const { moveExports, ...choice } = body;
    if (moveExports === undefined && following.length > 0) {
      throw conflict(
        `${following.length} export(s) feed the connection's audience ${connection.facebook!.audienceId} (${following.map((e) => e._id).join(', ')}); say which move to the new audience: "moveExports": "all", "none", or a list of export ids`,
      );
    }
    const chosen = moveExports === undefined || moveExports === 'none' ? [] : moveExports === 'all' ? following : this.pick(onConnection, moveExports);
    const audience = await this.connections.resolveAudience(connectionId, choice);
    const updated = await this.connections.setDefaultAudience(connectionId, audience);
    const moved: AudienceMove['moved'] = [];
    for (const e of chosen) {
      if (e.facebook!.audience.audienceId === audience.audienceId) continue;
      const doc = await this.changes.write(e._id, e.version, { facebook: { ...e.facebook!, audience }, problem: null });
      if (!doc) continue; // deleted or changed meanwhile: it stays, and the answer says so
      await this.publisher.publish(doc, updated);
      const runId = (await this.requestRun(doc, principal.name))._id;
      moved.push({ exportId: doc._id, runId });
      await this.audit.record({ action: 'update', objectType: 'export', objectId: doc._id, changedFields: ['facebook'], runId }, principal);
      this.logger.log(withIds({ exportId: doc._id, runId, audienceId: audience.audienceId }, 'moved to the connection\'s new Facebook audience'));
    }
    const movedIds = new Set(moved.map((m) => m.exportId));
    return { connection: updated, moved, staying: following.filter((e) => !movedIds.has(e._id)).map((e) => e._id) };
  }

  private pick(onConnection: ExportDoc[], ids: string[]): ExportDoc[] {
    const byId = new Map(onConnection.map((e) => [e._id, e]));
    const unknown = ids.filter((id) => !byId.has(id));
    if (unknown.length > 0) throw invalid('the audience choice is invalid', unknown.map((id) => ({ path: 'moveExports', message: `export ${id} is not an export of this connection` })));
    return ids.map((id) => byId.get(id)!);
  }

  /** Other exports feeding the same Facebook audience: it holds the union of their members. */
  async sharingAudience(exportDocs: ExportDoc[]): Promise<Map<string, string[]>> {
    const audienceIds = [...new Set(exportDocs.flatMap((e) => (e.facebook ? [e.facebook.audience.audienceId] : [])))];
    const out = new Map<string, string[]>();
    if (audienceIds.length === 0) return out;
    const feeders = await this.exports.find({ 'facebook.audience.audienceId': { $in: audienceIds } }, { _id: 1, facebook: 1 }).lean();
    for (const e of exportDocs) {
      if (!e.facebook) continue;
      out.set(e._id, feeders.filter((f) => f._id !== e._id && f.facebook?.audience.audienceId === e.facebook!.audience.audienceId).map((f) => f._id));
    }
    return out;
  }

  /** A sink found the export cannot deliver until an admin acts; its changes wait meanwhile. */
  async reportProblem(id: string, problem: string): Promise<void> {
    const doc = await this.exports.findOneAndUpdate({ _id: id }, { $set: { problem } }, { new: true }).lean();
    if (!doc) throw notFound('export', id);
    const connection = await this.connectionModel.findById(doc.connectionId).lean();
    if (connection) await this.publisher.publish(doc, connection);
    this.logger.warn(withIds({ exportId: id, connectionId: doc.connectionId }, `needs attention: ${problem}`));
  }

  /**
   * Exports saved before each export named its own audience fed their connection's: they keep
   * feeding exactly that one.
   */
  async onModuleInit(): Promise<void> {
    const legacy = await this.exports.find({ facebook: { $ne: null }, 'facebook.audience': { $exists: false } }).lean();
    for (const e of legacy) {
      const connection = await this.connectionModel.findById(e.connectionId).lean();
      if (!connection?.facebook) continue;
      await this.exports.updateOne({ _id: e._id }, { $set: { 'facebook.audience': connection.facebook } });
    }
    if (legacy.length > 0) this.logger.log(`${legacy.length} Facebook export(s) now name the audience they feed`);
  }

  /** A page of the export's runs, each with what its stages reported. */
  async runsOf(principal: Principal, id: string, page: PageQuery, trigger?: RunDoc['trigger']): Promise<{ runs: { run: RunDoc; stages: RunStageDoc[] }[]; destination: ConnectionDoc['destination'] }> {
    const { connection } = await this.visible(principal, id);
    const runs = await this.runs.find({ exportId: id, ...(trigger ? { trigger } : {}) }).sort({ createdAt: -1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
    const stages = await this.runStages.find({ runId: { $in: runs.map((r) => r._id) } }).lean();
    return { runs: runs.map((run) => ({ run, stages: stages.filter((s) => s.runId === run._id) })), destination: connection.destination };
  }

  /** One run of an export you may see, with what its stages reported. */
  async runOf(principal: Principal, id: string, runId: string): Promise<{ run: RunDoc; stages: RunStageDoc[]; destination: ConnectionDoc['destination'] }> {
    const { connection } = await this.visible(principal, id);
    const run = await this.runs.findOne({ _id: runId, exportId: id }).lean();
    if (!run) throw notFound(`run of export ${id}`, runId);
    return { run, stages: await this.runStages.find({ runId }).lean(), destination: connection.destination };
  }

  private async usableConnectionIds(): Promise<string[]> {
    return (await this.connectionModel.find({ usableBy: 'administrators-and-contributors' }, { _id: 1 }).lean()).map((c) => c._id);
  }

  /**
   * The connection's destination's rules; every problem is reported with its field path. `current`
   * is the export as stored, on a change: its settings block is what the body's replaces.
   */
  private async validate(connection: ConnectionDoc, body: Partial<Pick<ExportDoc, 'displayName' | 'segments'>>, current?: ExportDoc): Promise<ExportFields> {
    const parts = registryPartsOf(connection.destination);
    const key = parts.settingsKey;
    const problems: FieldProblem[] = [];
    const segments = body.segments ?? [];
    if (new Set(segments.map((s) => s.id)).size !== segments.length) problems.push({ path: 'segments', message: 'a segment is listed twice' });
    for (const other of allRegistryParts) {
      if (other !== parts && settingsBlock(body, other)) problems.push({ path: other.settingsKey, message: `this is a ${parts.label} connection; send a ${key} block instead` });
    }
    const block = settingsBlock(body, parts);
    const stored = current ? (settingsBlock(current, parts) ?? undefined) : undefined;
    const connectionSettings = (connection as unknown as Record<string, unknown>)[key];
    if (!block) problems.push({ path: key, message: `a ${parts.label} export needs ${parts.exportSettingsHint}` });
    else problems.push(...parts.checkExport(block, { id: connection._id, settings: connectionSettings }, stored).map((p) => ({ ...p, path: `${key}.${p.path}` })));
    if (problems.length > 0) throw invalid('the export is invalid', problems);
    const blocks = Object.fromEntries(allRegistryParts.map((p) => [p.settingsKey, null]));
    const settings = this.connections.hasAudienceDirectory(connection) ? await this.withAudience(connection._id, block!, stored, connectionSettings) : block!;
    return { displayName: body.displayName!, segments, ...blocks, [key]: settings };
  }

  /**
   * For a destination whose exports feed an audience picked in an ad account (Facebook): a stored
   * audience is kept as it is, a choice is checked with the provider, and without either the
   * export feeds the one it fed or the connection's.
   */
  private async withAudience(connectionId: string, block: object, stored: object | undefined, connectionAudience: unknown): Promise<object> {
    const { audience: choice, ...rest } = block as { audience?: AudienceChoice | ChosenAudience };
    const fallback = (stored as { audience?: ChosenAudience } | undefined)?.audience ?? (connectionAudience as ChosenAudience);
    const audience = isStored(choice) ? choice : choice ? await this.connections.resolveAudience(connectionId, choice) : fallback;
    return { ...rest, audience };
  }
}

function isStored(choice: unknown): choice is ChosenAudience {
  return typeof choice === 'object' && choice !== null && 'audienceName' in choice;
}

/**
 * The pause a change leaves: who paused first and when is kept while it stays paused; a resume
 * clears it; a change that does not say leaves it as it is.
 */
function pauseOf(current: ExportDoc, paused: boolean | undefined, by: string): Pick<ExportDoc, 'paused'> {
  if (paused === undefined) return {};
  return { paused: paused ? (current.paused ?? { by, at: new Date() }) : null };
}

/** A new audience, or one that was out of reach, holds none of what was sent before: a full sync fills it. */
function changedAudience(before: ExportDoc, after: ExportDoc): boolean {
  const audience = (e: ExportDoc) => {
    const { parts, settings } = exportPartsOf(e);
    return `${parts.id}:${parts.audienceKey(settings)}`;
  };
  return audience(before) !== audience(after);
}

/**
 * Other segments or identifiers can bring in profiles the pipeline never sent (it re-examines only
 * what it sent): once the export has run, a full sync sends them. Names and key order do not count.
 */
function changedMembers(before: ExportDoc, after: ExportDoc): boolean {
  const shape = (e: ExportDoc) => {
    const { parts, settings } = exportPartsOf(e);
    return JSON.stringify([e.segments.map((s) => s.id).sort(), parts.identifiersKey(settings)]);
  };
  return shape(before) !== shape(after);
}
