import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@audience-sync/config';
import { allRegistryParts, DestinationId, RegistryClient } from '@audience-sync/destinations';
import { RegistryConfig } from '../config';

/** Each destination's provider client (OAuth steps, and its audience directory if it has one), made once from the configuration. */
@Injectable()
export class DestinationClients {
  private readonly clients: ReadonlyMap<DestinationId, RegistryClient>;

  constructor(@Inject(APP_CONFIG) config: RegistryConfig) {
    this.clients = new Map(allRegistryParts.map((parts) => [parts.id, parts.client(config)]));
  }

  of(destination: DestinationId): RegistryClient {
    const client = this.clients.get(destination);
    if (!client) throw new Error(`no registry client for destination ${destination}`);
    return client;
  }
}
