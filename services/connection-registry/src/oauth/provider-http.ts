import { upstream } from '../common/api-error';

/** Provider answers become messages for the admin; tokens and bodies are never echoed. */
export async function providerJson<T>(provider: string, url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
  } catch (error) {
    throw upstream(`${provider} could not be reached (${(error as Error).message}); try again later`);
  }
  const body = (await response.json().catch(() => ({}))) as T;
  return { status: response.status, body };
}

export interface GraphErrorBody {
  error?: { message?: string; code?: number; error_subcode?: number };
}
