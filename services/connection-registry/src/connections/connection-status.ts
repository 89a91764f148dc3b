import { registryPartsOf } from '@audience-sync/destinations';
import { ConnectionDoc } from '../models';

export type ConnectionState = 'awaiting-authentication' | 'awaiting-audience' | 'ready' | 'needs-reauthentication' | 'terms-not-accepted';

/** What the status is derived from. */
export type StatusFields = Pick<ConnectionDoc, '_id' | 'destination' | 'credentials' | 'credentialsExpireAt' | 'authProblem' | 'termsProblem' | 'facebook'>;

/**
 * What the admin sees and must do next; derived, never stored. `reason` is the platform's problem
 * alone, for clients (the console) that say the next step in their own terms.
 */
export function connectionStatus(c: StatusFields, now = new Date()): { state: ConnectionState; message: string; reason?: string } {
  const reauth = `re-authenticate: POST /connections/${c._id}/authorize and sign in with the provider again`;
  if (c.authProblem) return { state: 'needs-reauthentication', message: `${c.authProblem}; ${reauth}`, reason: c.authProblem };
  if (!c.credentials) return { state: 'awaiting-authentication', message: `authenticate with the provider: POST /connections/${c._id}/authorize` };
  if (c.credentialsExpireAt && new Date(c.credentialsExpireAt) <= now) return { state: 'needs-reauthentication', message: `the provider's access token expired; ${reauth}`, reason: "the provider's access token expired" };
  if (c.termsProblem) {
    return {
      state: 'terms-not-accepted',
      message: `${c.termsProblem} (POST /connections/${c._id}/terms-accepted: a full sync starts for each of the connection's exports that is not paused)`,
      reason: c.termsProblem,
    };
  }
  const parts = registryPartsOf(c.destination);
  const setup = parts.awaitingSetup?.(c._id, c[parts.settingsKey as keyof typeof c]);
  if (setup) return { state: 'awaiting-audience', message: setup };
  return { state: 'ready', message: 'ready for exports' };
}
