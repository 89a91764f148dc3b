import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { Principal } from '../auth/principal';
import { conflict, forbidden, invalid, notFound } from '../common/api-error';
import { PageQuery } from '../common/zod-body';
import { CredentialCipher } from '../crypto/credential-cipher';
import { ConnectionDoc, ExportDoc, FacebookAudience, Models, OAuthStateDoc } from '../models';
import { FacebookClient, FacebookTokenRejected } from '../oauth/facebook-client';
import { MicrosoftClient, MicrosoftGrantRejected } from '../oauth/microsoft-client';
import { ExportConfigPublisher } from '../exports/export-config.publisher';
import { AudienceChoice, createConnectionBody, updateConnectionBody } from './connection.dto';
import { connectionStatus } from './connection-status';

interface FacebookSecret {
  accessToken: string;
}
interface MicrosoftSecret {
  refreshToken: string;
}

export class ReauthenticationRequired extends Error {}

@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger(ConnectionsService.name);
  /** Microsoft access tokens by connection, and one refresh at a time per connection (refresh tokens rotate). */
  private readonly accessTokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly refreshing = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(
    @InjectModel(Models.connection) private readonly connections: Model<ConnectionDoc>,
    @InjectModel(Models.export) private readonly exports: Model<ExportDoc>,
    @InjectModel(Models.oauthState) private readonly states: Model<OAuthStateDoc>,
    @Inject(APP_CONFIG) private readonly config: RegistryConfig,
    private readonly cipher: CredentialCipher,
    private readonly facebook: FacebookClient,
    private readonly microsoft: MicrosoftClient,
    private readonly publisher: ExportConfigPublisher,
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
  }

  callbackUrl(): string {
    return `${this.config.REGISTRY_PUBLIC_URL.replace(/\/$/, '')}/oauth/callback`;
  }

  /** An unguessable, single-use, expiring state bound to this connection. */
  async startAuthorization(id: string): Promise<{ authorizeUrl: string; expiresAt: Date }> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    const state = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.OAUTH_STATE_TTL_SECONDS * 1000);
    const redirectUri = this.callbackUrl();
    await this.states.deleteMany({ expiresAt: { $lt: new Date() } });
    await this.states.create({ _id: state, connectionId: id, provider: doc.destination, redirectUri, expiresAt });
    const authorizeUrl = doc.destination === 'facebook-ads' ? this.facebook.authorizeUrl(state, redirectUri) : this.microsoft.authorizeUrl(state, redirectUri);
    return { authorizeUrl, expiresAt };
  }

  async completeAuthorization(state: string, code: string): Promise<ConnectionDoc> {
    const pending = await this.states.findOneAndDelete({ _id: state }).lean();
    if (!pending || new Date(pending.expiresAt) <= new Date()) throw invalid('the authorisation link is unknown, already used or expired; start again with POST /connections/{id}/authorize');
    const id = pending.connectionId;
    if (pending.provider === 'facebook-ads') {
      const { accessToken, expiresAt } = await this.facebook.exchangeCode(code, pending.redirectUri);
      await this.storeCredentials(id, this.cipher.seal({ accessToken } satisfies FacebookSecret, id), expiresAt);
    } else {
      const tokens = await this.microsoft.exchangeCode(code, pending.redirectUri);
      await this.storeCredentials(id, this.cipher.seal({ refreshToken: tokens.refreshToken } satisfies MicrosoftSecret, id), null);
      this.accessTokens.set(id, { token: tokens.accessToken, expiresAt: tokens.expiresAt.getTime() });
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

  async facebookAdAccounts(id: string) {
    await this.facebookConnection(id);
    return this.withFacebookToken(id, (token) => this.facebook.adAccounts(token));
  }

  async facebookAudiences(id: string, adAccountId: string) {
    await this.facebookConnection(id);
    const audiences = await this.withFacebookToken(id, (token) => this.facebook.audiences(token, adAccountId.replace(/^act_/, '')));
    return audiences.map((a) => ({
      ...a,
      selectable: a.subtype === 'CUSTOM',
      ...(a.subtype === 'CUSTOM' ? {} : { reason: `a ${a.subtype} audience; exports need a customer-list (CUSTOM) audience` }),
    }));
  }

  /**
   * A Facebook connection, or 409: a route for one destination must never send another
   * destination's token to the wrong platform (which would also flag the connection).
   */
  async facebookConnection(id: string): Promise<ConnectionDoc> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    if (doc.destination !== 'facebook-ads') {
      throw conflict(`connection ${id} is a ${doc.destination} connection; the /facebook routes work only on facebook-ads connections. Use a Facebook connection, or create one with POST /connections`);
    }
    return doc;
  }

  /** An existing customer-list audience checked with Graph, or a new one created; other subtypes are refused with the reason. */
  async resolveFacebookAudience(id: string, choice: AudienceChoice): Promise<FacebookAudience> {
    await this.facebookConnection(id);
    const adAccountId = choice.adAccountId.replace(/^act_/, '');
    return this.withFacebookToken(id, async (token) => {
      if ('create' in choice) {
        const audienceId = await this.facebook.createAudience(token, adAccountId, choice.create.name, choice.create.description);
        return { adAccountId, audienceId, audienceName: choice.create.name };
      }
      const audience = await this.facebook.audience(token, choice.audienceId);
      if (audience.subtype !== 'CUSTOM') {
        throw invalid(`the Facebook audience ${audience.id} is a ${audience.subtype} audience; exports need a customer-list audience (subtype CUSTOM): pick another or create a new one`);
      }
      return { adAccountId, audienceId: audience.id, audienceName: audience.name };
    });
  }

  /** The connection's default audience, for exports that do not pick their own. */
  async setFacebookAudience(id: string, audience: FacebookAudience): Promise<ConnectionDoc> {
    const doc = await this.connections.findByIdAndUpdate(id, { $set: { facebook: audience } }, { new: true }).lean();
    if (!doc) throw notFound('connection', id);
    return doc;
  }

  /** For the sinks: a usable access token. Microsoft's is refreshed (and the rotated refresh token stored) when due. */
  async accessToken(id: string, forceRefresh: boolean): Promise<{ accessToken: string; expiresAt: string }> {
    const doc = await this.connections.findById(id).lean();
    if (!doc) throw notFound('connection', id);
    const status = connectionStatus(doc);
    if (status.state === 'needs-reauthentication' || status.state === 'awaiting-authentication') throw new ReauthenticationRequired(status.message);
    if (doc.destination === 'facebook-ads') {
      const secret = this.cipher.open<FacebookSecret>(doc.credentials!, id);
      return { accessToken: secret.accessToken, expiresAt: new Date(doc.credentialsExpireAt!).toISOString() };
    }
    const cached = this.accessTokens.get(id);
    if (!forceRefresh && cached && cached.expiresAt - Date.now() > 5 * 60 * 1000) return { accessToken: cached.token, expiresAt: new Date(cached.expiresAt).toISOString() };
    let refresh = this.refreshing.get(id);
    if (!refresh) {
      refresh = this.refreshMicrosoft(doc).finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, refresh);
    }
    const fresh = await refresh;
    return { accessToken: fresh.token, expiresAt: new Date(fresh.expiresAt).toISOString() };
  }

  private async refreshMicrosoft(doc: ConnectionDoc): Promise<{ token: string; expiresAt: number }> {
    const secret = this.cipher.open<MicrosoftSecret>(doc.credentials!, doc._id);
    try {
      const tokens = await this.microsoft.refresh(secret.refreshToken);
      await this.connections.updateOne({ _id: doc._id }, { $set: { credentials: this.cipher.seal({ refreshToken: tokens.refreshToken } satisfies MicrosoftSecret, doc._id) } });
      const entry = { token: tokens.accessToken, expiresAt: tokens.expiresAt.getTime() };
      this.accessTokens.set(doc._id, entry);
      return entry;
    } catch (error) {
      if (error instanceof MicrosoftGrantRejected) {
        await this.flagReauthentication(doc._id, 'Microsoft no longer accepts the stored authorisation');
        throw new ReauthenticationRequired(connectionStatus({ ...doc, authProblem: 'Microsoft no longer accepts the stored authorisation' }).message);
      }
      throw error;
    }
  }

  /** A provider rejected the credentials: the admin must sign in again; exports pause meanwhile. */
  async flagReauthentication(id: string, problem: string): Promise<void> {
    const updated = await this.connections.updateOne({ _id: id }, { $set: { authProblem: problem } });
    if (updated.matchedCount === 0) throw notFound('connection', id);
    this.accessTokens.delete(id);
    this.logger.warn(`connection ${id} needs re-authentication: ${problem}`);
    await this.publisher.publishForConnection(id);
  }

  private async withFacebookToken<T>(id: string, work: (token: string) => Promise<T>): Promise<T> {
    const { accessToken } = await this.accessToken(id, false).catch((error) => {
      if (error instanceof ReauthenticationRequired) throw conflict(error.message);
      throw error;
    });
    try {
      return await work(accessToken);
    } catch (error) {
      if (error instanceof FacebookTokenRejected) {
        await this.flagReauthentication(id, 'Facebook rejected the access token');
        throw conflict(`Facebook rejected the access token; re-authenticate: POST /connections/${id}/authorize`);
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
