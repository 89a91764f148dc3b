import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { gauge } from '@audience-sync/runtime';
import { ConnectionDoc, Models } from '../models';
import { connectionStatus } from './connection-status';

/**
 * Connections by destination and state, counted when Prometheus scrapes (a deployment has tens of
 * connections, not millions): `needs-reauthentication` is what an operator must hear about, since the
 * exports of such a connection hold their changes until an admin signs in again.
 */
@Injectable()
export class ConnectionMetrics {
  constructor(@InjectModel(Models.connection) connections: Model<ConnectionDoc>) {
    gauge({
      name: 'connections',
      help: 'Connections by destination and state (needs-reauthentication: an admin must sign in again)',
      labelNames: ['destination', 'state'],
      async collect() {
        const docs = await connections.find({}, { destination: 1, credentials: 1, credentialsExpireAt: 1, authProblem: 1, termsProblem: 1, facebook: 1 }).lean();
        this.reset();
        for (const doc of docs) this.inc({ destination: doc.destination, state: connectionStatus(doc).state });
      },
    });
  }
}
