import { hash } from 'node:crypto';

/**
 * The compact identity of a destination row, given as its digests in the destination's column
 * order joined with '|'. Two profiles with the same identity are one member at the destination.
 * The first 128 bits of a SHA-256 (22 characters) rather than the digests themselves (up to 454
 * characters for seven keys): the streamer stores one per sent profile and indexes by it, and a
 * collision among 10^7 rows is about 10^-25 likely.
 */
export function rowIdentity(row: string): string {
  return hash('sha256', row, 'base64url').slice(0, 22);
}
