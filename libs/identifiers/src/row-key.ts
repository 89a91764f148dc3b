import { hash } from 'node:crypto';

/**
 * The identity of a destination row from its values by column, whatever the destination's column
 * order (a column without a value is absent): two profiles with the same identity are one member.
 */
export function identityOf(columns: Record<string, string>): string {
  return rowIdentity(
    Object.keys(columns)
      .sort()
      .map((column) => `${column}=${columns[column]}`)
      .join('|'),
  );
}

/**
 * The compact identity of a destination row, given as text naming its values.
 * The first 128 bits of a SHA-256 (22 characters) rather than the digests themselves (up to 454
 * characters for seven keys): the streamer stores one per sent profile and indexes by it, and a
 * collision among 10^7 rows is about 10^-25 likely.
 */
export function rowIdentity(row: string): string {
  return hash('sha256', row, 'base64url').slice(0, 22);
}
