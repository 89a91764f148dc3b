import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Ties a sign-in to the browser that started it: /oauth/start gives the browser a random nonce in
 * an http-only cookie and keeps only its hash with the state; the callback is refused unless the
 * same browser brings the same nonce back. SameSite=Lax still sends it on the provider's top-level
 * redirect; Secure (and the __Host- prefix) whenever the registry is reached over https.
 */
export class BrowserBinding {
  readonly cookieName: string;
  private readonly secure: boolean;

  constructor(
    publicUrl: string,
    private readonly maxAgeSeconds: number,
  ) {
    this.secure = new URL(publicUrl).protocol === 'https:';
    this.cookieName = this.secure ? '__Host-audience-sync-sign-in' : 'audience-sync-sign-in';
  }

  /** The browser's nonce, or a new one: several sign-ins in one browser share it. */
  nonceOf(request: Request): { nonce: string; fresh: boolean } {
    const sent = this.sent(request);
    return sent ? { nonce: sent, fresh: false } : { nonce: randomBytes(32).toString('base64url'), fresh: true };
  }

  /** What the browser sent, if anything. */
  sent(request: Request): string | undefined {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === this.cookieName && /^[\w-]{43}$/.test(value.join('='))) return value.join('=');
    }
    return undefined;
  }

  setCookie(nonce: string): string {
    return [`${this.cookieName}=${nonce}`, 'Path=/', `Max-Age=${this.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(this.secure ? ['Secure'] : [])].join('; ');
  }

  /** What is stored with a state: the nonce's hash, not the nonce. */
  static hash(nonce: string): string {
    return sha256(nonce);
  }

  static matches(stored: string | undefined, nonce: string | undefined): boolean {
    if (!stored || !nonce) return false;
    const [a, b] = [Buffer.from(stored), Buffer.from(sha256(nonce))];
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** Ids of tickets and states are hashes of the secrets, so the database never holds a usable link. */
export const secretId = (kind: 'ticket' | 'state', secret: string) => `${kind}:${sha256(secret)}`;
