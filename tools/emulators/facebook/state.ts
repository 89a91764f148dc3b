import { randomBytes } from 'node:crypto';
import { MemberSet } from '../members';
import { MatchedCount } from '../matching';
import type { Challenge } from '../pkce';
import { FacebookSeed } from './seed';

export interface Audience {
  id: string;
  accountId: string;
  name: string;
  subtype: string;
  description?: string;
  customerFileSource?: string;
  /** Set by the first upload; the other style is refused afterwards. */
  style?: 'MULTI_HASHES' | 'HASHES_OR_USER_IDS';
  members: MemberSet;
  /** Members the emulated platform matched to its users (see matching.ts). */
  matched: MatchedCount;
  /** When the last upload changed it: the counts read as being populated for a while after. */
  uploadedAt?: number;
  replaceSessionId?: string;
  stats: { received: number; invalid: number; rejectedRequests: number };
}

export interface UploadSession {
  id: string;
  audienceId: string;
  kind: 'users' | 'replace';
  received: number;
  invalid: number;
  startedAt: number;
  finished: boolean;
  schemaKey?: string;
  staged?: MemberSet;
  /** How the caller sent session_id: Meta documents an int64, so a JSON number (for tests to inspect). */
  idSentAs?: 'number' | 'string';
  /** A replace session's requests as they arrived: batch_seq and last_batch_flag (for tests to inspect). */
  batches?: { seq: number; last: boolean }[];
}

export interface Token {
  expiresAt: number;
  long: boolean;
}

export interface AdAccount {
  accountId: string;
  name: string;
  termsAccepted: boolean;
  calls: { windowStart: number; count: number };
}

export class FacebookState {
  accounts = new Map<string, AdAccount>();
  audiences = new Map<string, Audience>();
  sessions = new Map<string, UploadSession>();
  tokens = new Map<string, Token>();
  codes = new Map<string, { redirectUri: string; expiresAt: number; used: boolean; challenge?: Challenge }>();
  private nextAudienceId = 23860000000000000n;

  constructor(readonly seed: FacebookSeed) {
    this.load();
  }

  load(): void {
    this.accounts.clear();
    this.audiences.clear();
    this.sessions.clear();
    this.tokens.clear();
    this.codes.clear();
    for (const account of this.seed.adAccounts) {
      this.accounts.set(account.accountId, { accountId: account.accountId, name: account.name, termsAccepted: account.termsAccepted, calls: { windowStart: Date.now(), count: 0 } });
      for (const a of account.audiences) this.audiences.set(a.id, this.newAudience(a.id, account.accountId, a.name, a.subtype));
    }
  }

  newAudience(id: string, accountId: string, name: string, subtype: string): Audience {
    return { id, accountId, name, subtype, members: new MemberSet(), matched: new MatchedCount(), stats: { received: 0, invalid: 0, rejectedRequests: 0 } };
  }

  createAudience(accountId: string, fields: { name: string; subtype: string; description?: string; customerFileSource?: string }): Audience {
    this.nextAudienceId += 1n;
    const audience = { ...this.newAudience(this.nextAudienceId.toString(), accountId, fields.name, fields.subtype), description: fields.description, customerFileSource: fields.customerFileSource };
    this.audiences.set(audience.id, audience);
    return audience;
  }

  issueToken(long: boolean, ttlSeconds: number): string {
    const token = `EAA${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { expiresAt: Date.now() + ttlSeconds * 1000, long });
    return token;
  }

  issueCode(redirectUri: string, challenge?: Challenge): string {
    const code = randomBytes(18).toString('base64url');
    this.codes.set(code, { redirectUri, expiresAt: Date.now() + 10 * 60 * 1000, used: false, challenge });
    return code;
  }
}
