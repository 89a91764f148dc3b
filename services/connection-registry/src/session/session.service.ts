import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';
import { ApiError, forbidden } from '../common/api-error';
import { Principal } from '../auth/principal';
import { AuditLog } from '../audit/audit-log.service';
import { SESSION_MODEL, SessionDoc } from './session.models';
import { keyDigest, newSecret, sameSecret, sessionCookieValue, sessionId } from './session-cookie';

/** What the console reads about its session (POST and GET /session). */
export interface SessionView {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

export interface OpenSession {
  id: string;
  view: SessionView;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const keyNotValid = () =>
  new ApiError(HttpStatus.UNAUTHORIZED, 'unauthenticated', 'this API key is not valid: sign in with a key of the registry\'s REGISTRY_API_KEYS, which its operator gives you');
const sessionEnded = () =>
  new ApiError(HttpStatus.UNAUTHORIZED, 'unauthenticated', 'no console session: it was signed out or expired, or its API key was removed; sign in again with an API key (POST /session), or send one as "Authorization: Bearer <key>"');
const csrfRefused = () => forbidden('this change lacks the X-CSRF-Token of your console session; reload the console and try again');

/**
 * The console's sessions: an API key exchanged for a cookie, so the key stays out of the browser's
 * storage. Stored in the database, so every registry instance knows them. A session is only as
 * good as its key: one whose key is no longer configured is refused, and it acts with the key's
 * current name and role.
 */
@Injectable()
export class Sessions {
  private readonly secure: boolean;

  constructor(
    @InjectModel(SESSION_MODEL) private readonly sessions: Model<SessionDoc>,
    @Inject(APP_CONFIG) private readonly config: RegistryConfig,
    private readonly audit: AuditLog,
  ) {
    this.secure = new URL(config.REGISTRY_PUBLIC_URL).protocol === 'https:';
  }

  get lifetimeSeconds(): number {
    return this.config.CONSOLE_SESSION_HOURS * 3600;
  }

  get secureCookie(): boolean {
    return this.secure;
  }

  /** Signs in with an API key (never an internal credential); returns the cookie's value and what the console reads. */
  async open(apiKey: string): Promise<{ cookieValue: string; session: OpenSession }> {
    // Every key is compared, so the time taken does not say which one came close.
    const matches = this.config.REGISTRY_API_KEYS.filter((k) => sameSecret(apiKey, k.key));
    if (matches.length !== 1) throw keyNotValid();
    const [key] = matches;
    const cookieValue = newSecret();
    const now = new Date();
    const doc: SessionDoc = {
      _id: sessionId(cookieValue),
      keyDigest: keyDigest(key.key),
      name: key.name,
      role: key.role,
      csrfToken: newSecret(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.lifetimeSeconds * 1000),
    };
    await this.sessions.deleteMany({ expiresAt: { $lt: now } });
    await this.sessions.create(doc);
    const principal = { name: key.name, role: key.role };
    await this.audit.record({ action: 'sign-in', objectType: 'session', objectId: auditId(doc._id) }, principal);
    return { cookieValue, session: { id: doc._id, view: { principal, csrfToken: doc.csrfToken, expiresAt: doc.expiresAt } } };
  }

  /** The session a request's cookie opens, or undefined (no cookie, unknown, expired, or its key removed). */
  async find(cookieHeader: string | undefined): Promise<OpenSession | undefined> {
    const value = sessionCookieValue(cookieHeader);
    if (!value) return undefined;
    const doc = await this.sessions.findById(sessionId(value)).lean();
    if (!doc || new Date(doc.expiresAt) <= new Date()) return undefined;
    const key = this.config.REGISTRY_API_KEYS.find((k) => sameSecret(keyDigest(k.key), doc.keyDigest));
    if (!key) return undefined;
    return { id: doc._id, view: { principal: { name: key.name, role: key.role }, csrfToken: doc.csrfToken, expiresAt: doc.expiresAt } };
  }

  /**
   * The principal of a request that came with a session cookie and no API key: 401 without a
   * valid session, 403 for a change without the session's X-CSRF-Token (another site's page cannot
   * read it, so cannot send it).
   */
  async authenticate(request: { method: string; headers: Record<string, string | string[] | undefined> }): Promise<{ session: OpenSession; principal: Principal }> {
    const session = await this.find(request.headers.cookie as string | undefined);
    if (!session) throw sessionEnded();
    if (!SAFE_METHODS.has(request.method.toUpperCase())) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, session.view.csrfToken)) throw csrfRefused();
    }
    return { session, principal: session.view.principal };
  }

  async close(session: OpenSession): Promise<void> {
    await this.sessions.deleteOne({ _id: session.id });
    await this.audit.record({ action: 'sign-out', objectType: 'session', objectId: auditId(session.id) }, session.view.principal);
  }
}

/** The audit log names a session by a prefix of its id: enough to pair a sign-in with its sign-out. */
const auditId = (id: string) => id.slice(0, 16);
