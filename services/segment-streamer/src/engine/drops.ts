/** Why a member of an audience was not sent: the reasons a run reports beside its invalid count. */
export const DropReason = {
  /** None of the attributes the export maps holds a value. */
  noIdentifier: 'no-mapped-identifier',
  /** Values are there, but none survives the destination's normalisation (e.g. a malformed email). */
  unusable: 'unusable-identifier',
} as const;

/** Members dropped by reason, for one run. */
export class Drops {
  readonly byReason: Record<string, number> = {};

  add(reason: string): void {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
  }

  get total(): number {
    return Object.values(this.byReason).reduce((a, b) => a + b, 0);
  }
}
