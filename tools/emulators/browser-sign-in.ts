/** What a browser goes through to sign a connection in, against providers (the emulators) that redirect straight back. */
export interface BrowserSignIn {
  /** The callback page's status and HTML. */
  status: number;
  page: string;
  /** The provider's redirect back to the registry, with code and state. */
  callback: string;
  /** The sign-in cookie the browser held (name=value). */
  cookie: string;
}

/**
 * Signs a connection in like an administrator with a browser: asks the API for the sign-in link
 * (POST /connections/{id}/authorize with the API key), opens it (the registry sets its cookie and
 * redirects to the provider), follows the provider back to the callback with the cookie.
 */
export async function signInLikeABrowser(registryUrl: string, apiKey: string, connectionId: string): Promise<BrowserSignIn> {
  const link = await fetch(`${registryUrl}/connections/${encodeURIComponent(connectionId)}/authorize`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
  if (!link.ok) throw new Error(`POST /connections/${connectionId}/authorize answered ${link.status}: ${await link.text()}`);
  const { url } = (await link.json()) as { url: string };
  return openSignInLink(url);
}

/** Where the callback sent the browser, when it redirected (a sign-in started with a returnTo), and its headers. */
export interface BrowserLanding extends BrowserSignIn {
  location: string | null;
  headers: Headers;
}

/**
 * Opens a sign-in link like a browser: the registry sets its cookie and redirects to the provider,
 * which comes back to the callback with the cookie. `followLanding: false` stops at the callback's
 * own answer (its 303 to the console, for a sign-in started with a returnTo).
 */
export async function openSignInLink(url: string, options: { followLanding?: boolean } = {}): Promise<BrowserLanding> {
  const started = await fetch(url, { redirect: 'manual' });
  const cookie = started.headers.get('set-cookie')?.split(';')[0];
  const dialog = started.headers.get('location');
  if (started.status !== 302 || !cookie || !dialog) throw new Error(`the sign-in link answered ${started.status} without a cookie and a redirect: ${await started.text()}`);
  const provider = await fetch(dialog, { redirect: 'manual' });
  const callback = provider.headers.get('location');
  if (!callback) throw new Error(`the provider did not redirect back (${provider.status})`);
  const landed = await fetch(callback, { headers: { cookie }, redirect: options.followLanding === false ? 'manual' : 'follow' });
  return { status: landed.status, page: await landed.text(), callback, cookie, location: landed.headers.get('location'), headers: landed.headers };
}
