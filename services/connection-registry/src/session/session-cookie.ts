import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The console's session cookie: 32 random bytes, base64url. */
export const SESSION_COOKIE = 'audience_sync_session';
const VALUE = /^[\w-]{43}$/;

export const newSecret = () => randomBytes(32).toString('base64url');

/** The database keeps this, never the cookie: a copy of the collection opens no session. */
export const sessionId = (cookieValue: string) => sha256Hex(cookieValue);

/** What a session keeps of its API key: enough to tell whether that key is still configured, not to use it. */
export const keyDigest = (apiKey: string) => sha256Hex(apiKey);

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** Equal strings, compared in time that does not depend on where they differ. */
export function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const [x, y] = [createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest()];
  return timingSafeEqual(x, y);
}

/**
 * HttpOnly (the console's script never reads it), SameSite=Strict (no other site's page sends it),
 * Secure whenever the registry is reached over https.
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

/** Tells the browser to drop the cookie. */
export const clearedSessionCookie = (secure: boolean) => sessionCookie('', 0, secure);

/** The session cookie's value in a Cookie header, if it holds one of the right form. */
export function sessionCookieValue(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    const value = rest.join('=');
    if (name === SESSION_COOKIE && VALUE.test(value)) return value;
  }
  return undefined;
}
