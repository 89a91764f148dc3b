/**
 * The console's only way to the registry: the public REST API, authenticated by the session cookie
 * (sent by the browser, unreadable to scripts) and, for changes, the session's CSRF token.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An error answer, in the API's one shape. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export interface Session {
  principal: { name: string; role: 'administrator' | 'contributor' };
  csrfToken: string;
  expiresAt: string;
}

let csrfToken = '';
/** Called when an answer says the session is gone, so the console asks to sign in again. */
let onSignedOut: (message: string) => void = () => undefined;

export function useSession(session: Session | null, signedOut?: (message: string) => void): void {
  csrfToken = session?.csrfToken ?? '';
  if (signedOut) onSignedOut = signedOut;
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const sent: Record<string, string> = { accept: 'application/json', ...headers };
  if (method !== 'GET') sent['x-csrf-token'] = csrfToken;
  if (body !== undefined) sent['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiProblem(0, 'unreachable', 'The registry cannot be reached. Check that audience-sync is running (npm run status), then try again.');
  }
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: { code?: string; message?: string; details?: FieldProblem[] } } | undefined)?.error;
  const problem = new ApiProblem(response.status, error?.code ?? 'http_error', error?.message ?? `The registry answered ${response.status}.`, error?.details ?? []);
  if (response.status === 401 && path !== '/session') onSignedOut('Your session has ended. Sign in again.');
  throw problem;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every item of a paged listing (the API's `limit`/`cursor`), up to `max`. */
export async function all<T>(path: string, max = 1000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<{ items: T[]; nextCursor?: string }>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}
