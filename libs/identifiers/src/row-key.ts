import { hash } from 'node:crypto';
import { Destination, FacebookKey } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from './hashing';

/**
 * Identifies the row a destination will hold for these identifiers, or null when nothing usable
 * remains. Two profiles with the same identity are one member at the destination. The identity is
 * the first 128 bits of a SHA-256 over the row's digests (22 characters) rather than the digests
 * themselves (up to 454 characters for seven keys): the streamer stores one per sent profile and
 * indexes by it, and a collision among 10^7 rows is about 10^-25 likely.
 */
export function destinationRow(destination: Destination, facebookKeys: FacebookKey[] | undefined, identifiers: Record<string, string>): string | null {
  const change = [{ op: 'add' as const, profileId: '', identifiers }];
  const row = destination === 'facebook-ads' ? facebookRows(facebookKeys ?? ['EMAIL'], change).adds[0]?.join('|') : microsoftEmails(change).adds[0];
  return row === undefined ? null : rowIdentity(row);
}

/** The compact identity of a row given as its digests joined with '|'. */
export function rowIdentity(row: string): string {
  return hash('sha256', row, 'base64url').slice(0, 22);
}
