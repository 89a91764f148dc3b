import { MemberSet } from './members';

/**
 * The emulators' stand-in for a platform matching uploaded rows to its users: a member matches when
 * the first byte of its first value's digest is below 0xD0, 208 of 256 digest prefixes, so about
 * 81 % of random digests (a rate typical of customer lists with emails). Deterministic, so tests
 * know which rows match; a value that is not a digest always matches.
 */
export function matches(memberKey: string): boolean {
  const first = Number.parseInt(memberKey.slice(0, 2), 16);
  return Number.isNaN(first) || first < 0xd0;
}

/** Matched members of a set, counted again only when the set changed (its checksum). */
export class MatchedCount {
  private last?: { checksum: string; matched: number };

  of(members: MemberSet): number {
    const checksum = members.checksum();
    if (this.last?.checksum !== checksum) {
      let matched = 0;
      for (const key of members.page(0, members.size)) if (matches(key)) matched += 1;
      this.last = { checksum, matched };
    }
    return this.last.matched;
  }
}
