import type { Request } from 'express';
import { BrowserBinding } from './browser-binding';

describe('BrowserBinding', () => {
  const request = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as Request;

  it('marks the cookie Secure, with the __Host- prefix, when the registry is reached over https', () => {
    const https = new BrowserBinding('https://registry.example.com', 600);
    expect(https.setCookie('n'.repeat(43))).toBe(`__Host-audience-sync-sign-in=${'n'.repeat(43)}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure`);
    expect(new BrowserBinding('http://127.0.0.1:3000', 60).setCookie('n'.repeat(43))).not.toContain('Secure');
  });

  it('reads back only its own, well-formed cookie and matches it against the stored hash', () => {
    const binding = new BrowserBinding('http://127.0.0.1:3000', 600);
    const { nonce, fresh } = binding.nonceOf(request('other=1'));
    expect(fresh).toBe(true);
    expect(binding.nonceOf(request(`a=b; audience-sync-sign-in=${nonce}`))).toEqual({ nonce, fresh: false });
    expect(binding.sent(request('audience-sync-sign-in=short'))).toBeUndefined();
    expect(BrowserBinding.matches(BrowserBinding.hash(nonce), nonce)).toBe(true);
    expect(BrowserBinding.matches(BrowserBinding.hash(nonce), 'x'.repeat(43))).toBe(false);
    expect(BrowserBinding.matches(BrowserBinding.hash(nonce), undefined)).toBe(false);
  });
});
