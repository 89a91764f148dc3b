/** A provider answered with something the admin must read: the registry reports it as 502 provider_error. */
export class ProviderError extends Error {}

/** A choice the admin made that the provider refuses (the registry answers 400): the message says what to pick instead. */
export class ChoiceRefused extends Error {}

/** The provider no longer accepts the stored credentials: the connection must be signed in again. */
export class CredentialsRejected extends Error {
  /** What the connection shows as its problem, e.g. "Facebook rejected the access token". */
  constructor(readonly problem: string) {
    super(`${problem}; re-authenticate the connection`);
  }
}

/** Provider answers become messages for the admin; tokens and bodies are never echoed. */
export async function providerJson<T>(provider: string, url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
  } catch (error) {
    throw new ProviderError(`${provider} could not be reached (${(error as Error).message}); try again later`);
  }
  const body = (await response.json().catch(() => ({}))) as T;
  return { status: response.status, body };
}
