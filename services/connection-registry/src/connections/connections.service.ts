import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Principal } from '../auth/principal';
import { conflict, forbidden, notFound } from '../common/api-error';
import { PageQuery } from '../common/zod-body';
import { CredentialCipher } from '../crypto/credential-cipher';
import { allRegistryParts, AudienceChoice, AudienceDirectory, ChosenAudience, CredentialsRejected, Grant, RegistryClient } from '@audience-sync/destinations';
import { ConnectionDoc, ExportDoc, Models } from '../models';
import { DestinationClients } from '../oauth/destination-clients';
import { ExportConfigPublisher } from '../exports/export-config.publisher';
import { createConnectionBody, updateConnectionBody } from './connection.dto';
import { connectionStatus } from './connection-status';
import { AuditLog } from '../audit/audit-log.service';
import { withIds } from '@audience-sync/runtime';
import { WebhookAlerts } from '../webhooks/webhook-alerts';

/** What is stored, sealed: a long-lived access token (it expires with the credentials), or a refresh token where access tokens are short-lived. */
interface AccessSecret {
  accessToken: string;
}
interface RefreshSecret {
  refreshToken: string;
}

export class ReauthenticationRequired extends Error {}

@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger(ConnectionsService.name);
  /** Short-lived access tokens by connection, and one refresh at a time per connection (refresh tokens rotate). */
  private readonly accessTokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly refreshing = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(
    @InjectModel(Models.connection) private readonly connections: Model<ConnectionDoc>,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    private readonly cipher: CredentialCipher,
    private readonly clients: DestinationClients,
    private readonly publisher: ExportConfigPublisher,
    private readonly audit: AuditLog,
    private readonly alerts: WebhookAlerts,
  ) {}

  async create(principal: Principal, body: z.infer<typeof createConnectionBody>): Promise<ConnectionDoc> {
    const doc = await this.connections.create({
      _id: randomUUID(),
      displayName: body.displayName,
      destination: body.destination,
      usableBy: body.usableBy,
      consent: { agreedBy: principal.name, agreedAt: new Date() },
      createdBy: principal.name,
    });
    await this.audit.record({ action: 'create', objectType: 'connection', objectId: doc._id }, principal);
    return doc.toObject();
  }

  async list(principal: Principal, page: PageQuery): Promise<ConnectionDoc[]> {
    const filter = principal.role === 'administrator' ? {} : { usableBy: 'administrators-and-contributors' };
    return this.connections.find(filter).sort({ createdAt: 1, _id: 1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
  }

  /** A connection the principal may see; others are reported as missing, not forbidden. */
  async visible(principal: Principal, id: string): Promise<ConnectionDoc> {
    const doc = await this.connections.findById(id).lean();
    if (!doc || (principal.role !== 'administrator' && doc.usableBy !== 'administrators-and-contributors')) throw notFound('connection', id);
    return doc;
  }

  async update(id: string, body: z.infer<typeof updateConnectionBody>): Promise<ConnectionDoc> {
    const doc = await this.connections.findByIdAndUpdate(id, { $set: body }, { new: true }).lean();
    if (!doc) throw notFound('connection', id);
    await this.audit.record({ action: 'update', objectType: 'connection', objectId: id, changedFields: Object.keys(body) });
    return doc;
  }

  async remove(id: string, cascade: boolean): Promise<void> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    const dependent = await this.exports.find({ connectionId: id }, { _id: 1 }).lean();
    if (dependent.length > 0 && !cascade) {
      throw conflict(`connection ${id} is used by ${dependent.length} export(s); delete them first or send ?cascade=true to delete them with it`);
    }
    await this.publisher.retract(dependent.map((e) => e._id));
    await this.exports.deleteMany({ connectionId: id });
    await this.connections.deleteOne({ _id: id });
    this.accessTokens.delete(id);
    for (const e of dependent) await this.audit.record({ action: 'delete', objectType: 'export', objectId: e._id });
    await this.audit.record({ action: 'delete', objectType: 'connection', objectId: id });
  }

  /** A completed sign-in (oauth/OAuthFlow): the credentials stored sealed, the connection's exports told. */
  async storeGrant(id: string, grant: Grant): Promise<ConnectionDoc> {
    if (grant.refreshToken) {
      await this.storeCredentials(id, this.cipher.seal({ refreshToken: grant.refreshToken } satisfies RefreshSecret, id), null);
      this.accessTokens.set(id, { token: grant.accessToken, expiresAt: grant.expiresAt.getTime() });
    } else {
      await this.storeCredentials(id, this.cipher.seal({ accessToken: grant.accessToken } satisfies AccessSecret, id), grant.expiresAt);
    }
    await this.publisher.publishForConnection(id);
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    return doc;
  }

  private async storeCredentials(id: string, credentials: ReturnType<CredentialCipher['seal']>, expiresAt: Date | null): Promise<void> {
    const updated = await this.connections.updateOne({ _id: id }, { $set: { credentials, credentialsExpireAt: expiresAt, authProblem: null } });
    if (updated.matchedCount === 0) throw notFound('connection', id);
  }

  async adAccounts(id: string) {
    const directory = this.directoryOf(await this.audienceConnection(id));
    return this.withAccessToken(id, (token) => directory.accounts(token));
  }

  async audiences(id: string, adAccountId: string) {
    const directory = this.directoryOf(await this.audienceConnection(id));
    return this.withAccessToken(id, (token) => directory.audiences(token, adAccountId));
  }

  /**
   * A connection whose destination has an audience directory (Facebook's, behind the /facebook
   * routes), or 409: a route for one destination must never send another destination's token to
   * the wrong platform (which would also flag the connection).
   */
  async audienceConnection(id: string): Promise<ConnectionDoc> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    if (!this.clients.of(doc.destination).directory) {
      const owners = allRegistryParts.filter((p) => this.clients.of(p.id).directory);
      throw conflict(
        `connection ${id} is a ${doc.destination} connection; the ${owners.map((p) => `/${p.settingsKey}`).join(', ')} routes work only on ${owners.map((p) => p.id).join(', ')} connections. Use a ${owners.map((p) => p.label).join(' or ')} connection, or create one with POST /connections`,
      );
    }
    return doc;
  }

  /** Whether the connection's exports feed an audience picked in an ad account. */
  hasAudienceDirectory(connection: ConnectionDoc): boolean {
    return Boolean(this.clients.of(connection.destination).directory);
  }

  private directoryOf(doc: ConnectionDoc): AudienceDirectory {
    return this.clients.of(doc.destination).directory!;
  }

  /** An existing audience checked with the provider (one exports cannot feed is refused with the reason), or a new one created. */
  async resolveAudience(id: string, choice: AudienceChoice): Promise<ChosenAudience> {
    const directory = this.directoryOf(await this.audienceConnection(id));
    return this.withAccessToken(id, (token) => directory.resolve(token, choice));
  }

  /** The connection's default audience, for exports that do not pick their own. */
  async setDefaultAudience(id: string, audience: ChosenAudience): Promise<ConnectionDoc> {
    const doc = await this.connections.findByIdAndUpdate(id, { $set: { facebook: audience } }, { new: true }).lean();
    if (!doc) throw notFound('connection', id);
    await this.audit.record({ action: 'update', objectType: 'connection', objectId: id, changedFields: ['facebook'] });
    return doc;
  }

  /** For the sinks: a usable access token. A short-lived one is refreshed (and the rotated refresh token stored) when due. */
  async accessToken(id: string, forceRefresh: boolean): Promise<{ accessToken: string; expiresAt: string }> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    const status = connectionStatus(doc);
    if (status.state === 'needs-reauthentication' || status.state === 'awaiting-authentication') throw new ReauthenticationRequired(status.message);
    const client = this.clients.of(doc.destination);
    if (!client.refresh) {
      const secret = this.cipher.open<AccessSecret>(doc.credentials!, id);
      return { accessToken: secret.accessToken, expiresAt: new Date(doc.credentialsExpireAt!).toISOString() };
    }
    const cached = this.accessTokens.get(id);
    if (!forceRefresh && cached && cached.expiresAt - Date.now() > 5 * 60 * 1000) return { accessToken: cached.token, expiresAt: new Date(cached.expiresAt).toISOString() };
    let refresh = this.refreshing.get(id);
    if (!refresh) {
      refresh = this.refresh(doc, client).finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, refresh);
    }
    const fresh = await refresh;
    return { accessToken: fresh.token, expiresAt: new Date(fresh.expiresAt).toISOString() };
  }

  private async refresh(doc: ConnectionDoc, client: RegistryClient): Promise<{ token: string; expiresAt: number }> {
    const secret = this.cipher.open<RefreshSecret>(doc.credentials!, doc._id);
    try {
      const grant = await client.refresh!(secret.refreshToken);
      const refreshToken = grant.refreshToken ?? secret.refreshToken;
      await this.connections.updateOne({ _id: doc._id }, { $set: { credentials: this.cipher.seal({ refreshToken } satisfies RefreshSecret, doc._id) } });
      const entry = { token: grant.accessToken, expiresAt: grant.expiresAt.getTime() };
      this.accessTokens.set(doc._id, entry);
      return entry;
    } catch (error) {
      if (error instanceof CredentialsRejected) {
        await this.flagReauthentication(doc._id, error.problem);
        throw new ReauthenticationRequired(connectionStatus({ ...doc, authProblem: error.problem }).message);
      }
      throw error;
    }
  }

  /** A provider rejected the credentials: the admin must sign in again; exports pause meanwhile. */
  async flagReauthentication(id: string, problem: string): Promise<void> {
    const before = await this.connections.findOneAndUpdate({ _id: id }, { $set: { authProblem: problem } }).lean();
    if (!before) throw notFound('connection', id);
    this.accessTokens.delete(id);
    this.logger.warn(withIds({ connectionId: id }, `needs re-authentication: ${problem}`));
    await this.publisher.publishForConnection(id);
    if (connectionStatus(before).state !== 'needs-reauthentication') await this.alerts.needsReauthentication({ ...before, authProblem: problem });
  }

  /**
   * A provider answered that the account has not accepted its terms: shown on the connection until
   * an admin confirms they are. A refusal of a call made before the latest confirmation is stale
   * (the report raced the admin): it is dropped, and a call the provider still refuses flags it again.
   */
  async flagTermsProblem(id: string, problem: string, refusedAt?: Date): Promise<void> {
    const current = refusedAt ? { $or: [{ termsConfirmedAt: null }, { termsConfirmedAt: { $lte: refusedAt } }] } : {};
    const before = await this.connections.findOneAndUpdate({ _id: id, ...current }, { $set: { termsProblem: problem } }).lean();
    if (!before) {
      if (!(await this.connections.exists({ _id: id }))) throw notFound('connection', id);
      this.logger.log(withIds({ connectionId: id }, 'a terms refusal of a call made before the terms were confirmed is ignored'));
      return;
    }
    if (before.termsProblem !== problem) this.logger.warn(withIds({ connectionId: id }, `terms not accepted: ${problem}`));
    if (!before.termsProblem) await this.alerts.termsNotAccepted({ ...before, termsProblem: problem });
  }

  /**
   * An admin says the provider's terms are accepted now: the flag goes (a delivery the provider
   * still refuses sets it again). A connection that must sign in first cannot deliver either way.
   */
  async confirmTermsAccepted(principal: Principal, id: string): Promise<ConnectionDoc> {
    const current = await this.connections.findById(id).lean();
    if (!current) throw notFound('connection', id);
    const status = connectionStatus({ ...current, termsProblem: null });
    if (status.state === 'needs-reauthentication' || status.state === 'awaiting-authentication') throw conflict(`connection ${id} cannot deliver until it is signed in: ${status.message}; then confirm the terms`);
    const doc = await this.connections.findByIdAndUpdate(id, { $set: { termsProblem: null, termsConfirmedAt: new Date() } }, { new: true }).lean();
    if (!doc) throw notFound('connection', id);
    await this.audit.record({ action: 'update', objectType: 'connection', objectId: id, changedFields: ['termsProblem'] }, principal);
    return doc;
  }

  private async withAccessToken<T>(id: string, work: (token: string) => Promise<T>): Promise<T> {
    const { accessToken } = await this.accessToken(id, false).catch((error) => {
      if (error instanceof ReauthenticationRequired) throw conflict(error.message);
      throw error;
    });
    try {
      return await work(accessToken);
    } catch (error) {
      if (error instanceof CredentialsRejected) {
        await this.flagReauthentication(id, error.problem);
        throw conflict(`${error.problem}; re-authenticate: POST /connections/${id}/authorize`);
      }
      throw error;
    }
  }

  /** Who may configure exports on this connection. */
  assertUsable(principal: Principal, connection: ConnectionDoc): void {
    if (principal.role === 'administrator') return;
    if (connection.usableBy !== 'administrators-and-contributors') throw forbidden('only administrators may use this connection');
  }
}
