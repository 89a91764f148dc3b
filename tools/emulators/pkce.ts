import { createHash } from 'node:crypto';

/** A PKCE challenge as the dialog received it (RFC 7636 §4.3: no method means `plain`). */
export interface Challenge {
  value: string;
  method: 'S256' | 'plain';
}

/** The challenge of a dialog request, undefined without one; 'unsupported' for a method RFC 7636 does not define. */
export function challengeOf(value: string | null | undefined, method: string | null | undefined): Challenge | undefined | 'unsupported' {
  if (!value) return undefined;
  const m = method ?? 'plain';
  return m === 'S256' || m === 'plain' ? { value, method: m } : 'unsupported';
}

/** Whether a token request's code_verifier answers the code's challenge (RFC 7636 §4.6). */
export function verifierMatches(challenge: Challenge, verifier: string | undefined): boolean {
  if (!verifier) return false;
  const derived = challenge.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return derived === challenge.value;
}
