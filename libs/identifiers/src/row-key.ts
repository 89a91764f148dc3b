import { Destination, FacebookKey } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from './hashing';

/**
 * The row a destination will hold for these identifiers (digests joined), or null when nothing
 * usable remains. Two profiles with the same row are one member at the destination.
 */
export function destinationRow(destination: Destination, facebookKeys: FacebookKey[] | undefined, identifiers: Record<string, string>): string | null {
  const change = [{ op: 'add' as const, profileId: '', identifiers }];
  if (destination === 'facebook-ads') return facebookRows(facebookKeys ?? ['EMAIL'], change).adds[0]?.join('|') ?? null;
  return microsoftEmails(change).adds[0] ?? null;
}
