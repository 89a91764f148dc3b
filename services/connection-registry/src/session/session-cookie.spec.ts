import { clearedSessionCookie, keyDigest, newSecret, sameSecret, sessionCookie, sessionCookieValue, sessionId } from './session-cookie';

describe('the console session cookie', () => {
  it('is HttpOnly, SameSite=Strict, on every path, with the session lifetime; Secure over https', () => {
    expect(sessionCookie('v', 28_800, false)).toBe('audience_sync_session=v; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict');
    expect(sessionCookie('v', 60, true).split('; ')).toContain('Secure');
  });

  it('is cleared with Max-Age=0', () => {
    expect(clearedSessionCookie(true)).toBe('audience_sync_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
  });

  it('holds 32 random bytes, read back only in that form', () => {
    const value = newSecret();
    expect(value).toMatch(/^[\w-]{43}$/);
    expect(newSecret()).not.toBe(value);
    expect(sessionCookieValue(`other=1; audience_sync_session=${value}; x=y`)).toBe(value);
    expect(sessionCookieValue('audience_sync_session=short')).toBeUndefined();
    expect(sessionCookieValue(`audience_sync_session_x=${value}`)).toBeUndefined();
    expect(sessionCookieValue(undefined)).toBeUndefined();
  });

  it('is stored as a hash, as is the key', () => {
    expect(sessionId('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyDigest('abc')).toBe(sessionId('abc'));
  });

  it('compares secrets whole', () => {
    expect(sameSecret('a', 'a')).toBe(true);
    expect(sameSecret('a', 'ab')).toBe(false);
    expect(sameSecret(undefined, 'a')).toBe(false);
  });
});
