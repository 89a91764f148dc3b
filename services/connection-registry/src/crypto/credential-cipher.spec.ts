import { randomBytes } from 'node:crypto';
import { CredentialCipher } from './credential-cipher';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('CredentialCipher', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('seals without the plain value and opens it again', () => {
    const cipher = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k1] });
    const sealed = cipher.seal({ token: 'EAAsecret-token' }, 'conn-1');
    expect(JSON.stringify(sealed)).not.toContain('EAAsecret-token');
    expect(cipher.open(sealed, 'conn-1')).toEqual({ token: 'EAAsecret-token' });
  });

  it('refuses tampered data and another connection as context', () => {
    const cipher = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k1] });
    const sealed = cipher.seal('x', 'conn-1');
    expect(() => cipher.open(sealed, 'conn-2')).toThrow();
    const data = Buffer.from(sealed.data, 'base64');
    data[0] ^= 1;
    expect(() => cipher.open({ ...sealed, data: data.toString('base64') }, 'conn-1')).toThrow();
  });

  it('rotates: a new first key seals, old keys still open', () => {
    const old = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k1] }).seal('v', 'c');
    const rotated = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k2, k1] });
    expect(rotated.open(old, 'c')).toBe('v');
    expect(rotated.seal('v', 'c').keyId).toBe('k2');
    expect(() => new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k2] }).open(old, 'c')).toThrow(/no longer configured/);
  });

  it('re-seals an old secret under the new key: then the new key alone opens it, the old alone does not', () => {
    const old = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k1] }).seal({ refreshToken: 'M.R3_secret' }, 'c');
    const rotated = new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k2, k1] });
    const resealed = rotated.seal(rotated.open(old, 'c'), 'c');
    expect(new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [k2] }).open(resealed, 'c')).toEqual({ refreshToken: 'M.R3_secret' });
    expect(() => new CredentialCipher({ CREDENTIALS_ENCRYPTION_KEYS: [{ ...k1, id: 'k2' }] }).open(resealed, 'c')).toThrow();
  });
});
