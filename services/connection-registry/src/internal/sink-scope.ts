import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { registryPartsOf } from '@audience-sync/destinations';
import { ServicePrincipal } from '../auth/principal';
import { forbidden, notFound } from '../common/api-error';
import { ConnectionDoc, ExportDoc, Models } from '../models';

/**
 * What a sink may touch on the internal API: the connections and exports of its own destination.
 * A missing object is 404 (a sink treats an export the registry no longer has as done); another
 * destination's is 403, saying whose it is.
 */
@Injectable()
export class SinkScope {
  constructor(
    @InjectModel(Models.connection) private readonly connections: Model<ConnectionDoc>,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
  ) {}

  async connection(caller: ServicePrincipal, id: string): Promise<void> {
    const doc = await this.connections.findById(id, { destination: 1 }).lean();
    if (!doc) throw notFound('connection', id);
    this.own(caller, doc.destination, `connection ${id}`);
  }

  async export(caller: ServicePrincipal, id: string): Promise<void> {
    const doc = await this.exports.findById(id, { connectionId: 1 }).lean();
    if (!doc) throw notFound('export', id);
    const connection = await this.connections.findById(doc.connectionId, { destination: 1 }).lean();
    if (!connection) throw notFound('export', id);
    this.own(caller, connection.destination, `export ${id}`);
  }

  private own(caller: ServicePrincipal, destination: ConnectionDoc['destination'], what: string): void {
    if (destination === caller.destination) return;
    throw forbidden(`${what} belongs to ${registryPartsOf(destination).label}; ${caller.service} may act only on ${registryPartsOf(caller.destination).label} connections and exports`);
  }
}
