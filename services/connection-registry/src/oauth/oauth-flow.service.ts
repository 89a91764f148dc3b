import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG } from '@audience-sync/config';
import { registryPartsOf } from '@audience-sync/destinations';
import { RegistryConfig } from '../config';
import { Principal } from '../auth/principal';
import { notFound } from '../common/api-error';
import { ConnectionsService } from '../connections/connections.service';
import { ConnectionDoc, Models, OAuthStateDoc } from '../models';
import { BrowserBinding, secretId } from './browser-binding';
import { DestinationClients } from './destination-clients';
import { pkcePair } from './pkce';
import { AuditLog } from '../audit/audit-log.service';

/** A sign-in that cannot go on; the callback page shows both sentences. */
export class SignInRefused extends Error {
  constructor(
    message: string,
    readonly next: string,
  ) {
    super(message);
  }
}

const restart = (connectionId?: string) =>
  `Ask an administrator's API client for a new sign-in link (POST /connections/${connectionId ?? '{id}'}/authorize) and open it in this browser.`;

/**
 * Signing a connection in, in two steps an admin's browser can follow:
 * 1. POST /connections/{id}/authorize (API key, administrators) returns a single-use link,
 *    GET /oauth/start?ticket=…, valid OAUTH_TICKET_TTL_SECONDS;
 * 2. opening it in a browser sets the sign-in cookie and redirects to the provider's dialog (with
 *    a PKCE challenge), which comes back to GET /oauth/callback in the same browser.
 * Tickets and states are single-use and stored as hashes; a state is bound to the browser's cookie.
 * A link asked for with a returnTo (the admin console) sends the browser back there after a sign-in.
 */
@Injectable()
export class OAuthFlow {
  readonly binding: BrowserBinding;

  constructor(
    @InjectModel(Models.oauthState) private readonly states: Model<OAuthStateDoc>,
    @InjectModel(Models.connection) private readonly connectionDocs: Model<ConnectionDoc>,
    @Inject(APP_CONFIG) private readonly config: RegistryConfig,
    private readonly clients: DestinationClients,
    private readonly connections: ConnectionsService,
    private readonly audit: AuditLog,
  ) {
    this.binding = new BrowserBinding(config.REGISTRY_PUBLIC_URL, config.OAUTH_STATE_TTL_SECONDS);
  }

  private url(path: string): string {
    return `${this.config.REGISTRY_PUBLIC_URL.replace(/\/$/, '')}${path}`;
  }

  /** Step 1: the link an administrator opens in a browser. */
  async issueLink(connectionId: string, principal: Principal, returnTo?: string): Promise<{ url: string; expiresAt: Date }> {
    const connection = await this.connectionDocs.findById(connectionId, { destination: 1 }).lean();
    if (!connection) throw notFound('connection', connectionId);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.OAUTH_TICKET_TTL_SECONDS * 1000);
    await this.states.deleteMany({ expiresAt: { $lt: new Date() } });
    await this.states.create({ _id: secretId('ticket', ticket), kind: 'ticket', connectionId, provider: connection.destination, issuedTo: principal.name, returnTo, expiresAt });
    await this.audit.record({ action: 'authorize', objectType: 'connection', objectId: connectionId }, principal);
    return { url: this.url(`/oauth/start?ticket=${ticket}`), expiresAt };
  }

  /** Step 2: spends the ticket and returns the provider's dialog, bound to the browser's nonce. */
  async start(ticket: string, browserNonce: string): Promise<string> {
    const pending = await this.states.findOneAndDelete({ _id: secretId('ticket', ticket), kind: 'ticket' }).lean();
    if (!pending || new Date(pending.expiresAt) <= new Date()) throw new SignInRefused('This sign-in link is unknown, already used or expired.', restart());
    const state = randomBytes(32).toString('base64url');
    const { verifier, challenge } = pkcePair();
    const redirectUri = this.url('/oauth/callback');
    await this.states.create({
      _id: secretId('state', state),
      kind: 'state',
      connectionId: pending.connectionId,
      provider: pending.provider,
      issuedTo: pending.issuedTo,
      redirectUri,
      codeVerifier: verifier,
      browser: BrowserBinding.hash(browserNonce),
      returnTo: pending.returnTo,
      expiresAt: new Date(Date.now() + this.config.OAUTH_STATE_TTL_SECONDS * 1000),
    });
    return this.clients.of(pending.provider).authorizeUrl({ state, redirectUri, codeChallenge: challenge });
  }

  /** The provider's answer names a state: spent here, whatever happens next (its returnTo says where the browser goes after). */
  async claim(state: string): Promise<OAuthStateDoc> {
    const pending = await this.states.findOneAndDelete({ _id: secretId('state', state), kind: 'state' }).lean();
    if (!pending || new Date(pending.expiresAt) <= new Date()) throw new SignInRefused('This sign-in is unknown, already finished or expired.', restart());
    return pending;
  }

  /** The provider's answer to a claimed state: stores the grant. */
  async complete(pending: OAuthStateDoc, answer: { code?: string; error?: string }, browserNonce: string | undefined): Promise<ConnectionDoc> {
    const id = pending.connectionId;
    if (!BrowserBinding.matches(pending.browser, browserNonce)) {
      throw new SignInRefused('This sign-in was started in another browser (or this browser did not keep its sign-in cookie), so it was not accepted.', restart(id));
    }
    const label = registryPartsOf(pending.provider).label;
    if (!answer.code) throw new SignInRefused(`${label} did not authorise the connection (${answer.error ?? 'no code in its answer'}).`, restart(id));
    const grant = await this.clients.of(pending.provider).exchangeCode(answer.code, pending.redirectUri!, pending.codeVerifier!);
    const connection = await this.connections.storeGrant(id, grant);
    // Only administrators are issued sign-in links (POST /connections/{id}/authorize).
    await this.audit.record({ action: 'sign-in-completed', objectType: 'connection', objectId: id }, { name: pending.issuedTo ?? '(unknown)', role: 'administrator' });
    return connection;
  }
}
