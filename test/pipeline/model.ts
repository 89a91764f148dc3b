import { ExportConfig, ProfileAttributes } from '@audience-sync/contracts';
import { destinationAudience } from './destination-model';
import { OracleKey, oracleFacebookRow, oracleMicrosoftEmail, rowText } from './oracle';

export type Attribute = 'PrimaryEmail' | 'WorkEmail' | 'MobilePhone' | 'HomePhone' | 'FirstName' | 'LastName' | 'BirthDate';
const ATTRIBUTES: Attribute[] = ['PrimaryEmail', 'WorkEmail', 'MobilePhone', 'HomePhone', 'FirstName', 'LastName', 'BirthDate'];
type Identity = Partial<Record<Attribute, string>>;

/**
 * The attribute sets profiles take. Values need normalising (case, spaces, leading zeros,
 * punctuation, accents, two date formats), and several rows are shared: p's given the same set
 * share every row; 'mary' and 'bo' share a Microsoft row (one email, two spellings); 'home' and
 * 'home again' share a Facebook row through one phone written two ways (a household). Whichever
 * attributes an export maps, each set is usable for both destinations or for neither: a remap
 * never turns an unsendable member into a sendable one. The streamer re-examines only the profiles
 * it sent, so such a member would wait for its next event or run (a gap reported on issue 13).
 */
export const IDENTITIES: Identity[] = [
  // mary
  { PrimaryEmail: ' Mary@Example.com ', WorkEmail: 'Mary.Work@Example.COM', MobilePhone: '+1 (650) 555-1212', HomePhone: '0047 912 34 567', FirstName: 'Mary', LastName: "O'Brien", BirthDate: '1987-03-09' },
  // valéry
  { PrimaryEmail: 'valery@x.example', WorkEmail: 'VALERY@Work.example', MobilePhone: '0047 400 00 001', HomePhone: '+47 912 34 567', FirstName: 'Valéry', LastName: 'Ødegård', BirthDate: '19900115' },
  // bo
  { PrimaryEmail: 'mary@example.com', WorkEmail: 'Bo@X.example', HomePhone: '0047 912 34 567', FirstName: 'Bo', LastName: "O'Brien" },
  // home
  { MobilePhone: '0047 912 34 567', HomePhone: '+47 22 00 00 00' },
  // home again
  { MobilePhone: '+47 912 34 567', HomePhone: '0047 22 00 00 00' },
  // nothing usable
  { PrimaryEmail: 'not-an-email', WorkEmail: 'nobody' },
];

/** An event's attributes: the whole set, null for what it lacks, so it replaces what a profile had. */
export function attributesOf(identity: Identity): ProfileAttributes {
  return Object.fromEntries(ATTRIBUTES.map((a) => [a, identity[a] ?? null]));
}

const base = (maxProfiles: number) => ({ connectionId: 'c', connectionState: 'active' as const, maxProfiles, updatedAt: new Date(0).toISOString(), version: 1, displayName: 'x' });
const segments = (ids: string[]) => ids.map((id) => ({ id, name: id.toUpperCase() }));

export function facebookExport(maxProfiles: number): ExportConfig {
  return {
    ...base(maxProfiles),
    exportId: 'fb',
    segments: segments(['s1', 's2']),
    destination: { type: 'facebook-ads', adAccountId: '1', audienceId: 'aud0', keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone', FN: 'FirstName', LN: 'LastName', DOB: 'BirthDate' } },
  };
}

export function microsoftExport(maxProfiles: number): ExportConfig {
  return { ...base(maxProfiles), exportId: 'ms', segments: segments(['s2', 's3']), destination: { type: 'microsoft-advertising', customerId: '1', accountId: '2', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true } };
}

type Change = { kind: 'remap'; exportId: string; email: Attribute; phone: Attribute } | { kind: 'segments'; exportId: string; segments: string[] } | { kind: 'audience' } | { kind: 'delete'; exportId: string };

/**
 * The model: memberships and attributes by event time; each export's audiences as the union of
 * its segments' current members with the identifiers it maps, rows worked out by the oracle. An
 * export holds nothing until its first complete refresh or run (again after its Facebook audience
 * changes). An audience the export stops feeding (deleted export, another Facebook audience, a
 * segment dropped from a Microsoft export) is left as it was: the sinks send it nothing more.
 */
export class Model {
  private readonly membership = new Map<string, { member: boolean; t: number }>();
  private readonly identities = new Map<string, { identity: Identity; t: number }>();
  private readonly exports = new Map<string, { config: ExportConfig; activated: boolean }>();
  private readonly left = new Map<string, Set<string>>();
  private version = 1;

  constructor(
    private readonly profiles: string[],
    configs: ExportConfig[],
  ) {
    for (const config of configs) this.exports.set(config.exportId, { config, activated: false });
  }

  configs(): ExportConfig[] {
    return [...this.exports.values()].map((e) => e.config);
  }

  config(exportId: string): ExportConfig | undefined {
    return this.exports.get(exportId)?.config;
  }

  set(segment: string, profile: string, member: boolean, t: number): void {
    const current = this.membership.get(`${segment}/${profile}`);
    if (!current || current.t < t) this.membership.set(`${segment}/${profile}`, { member, t });
  }

  /** undefined: the event carried no attributes; null: it cleared them. */
  setIdentity(profile: string, n: number | null | undefined, t: number): void {
    if (n === undefined) return;
    const current = this.identities.get(profile);
    if (!current || current.t <= t) this.identities.set(profile, { identity: n === null ? {} : IDENTITIES[n], t });
  }

  /** An erasure: out of every segment and without attributes as of its time; newer events still count. */
  erase(profile: string, t: number, segments: string[]): void {
    for (const s of segments) if ((this.membership.get(`${s}/${profile}`)?.t ?? -Infinity) <= t) this.membership.set(`${s}/${profile}`, { member: false, t });
    const current = this.identities.get(profile);
    if (!current || current.t <= t) this.identities.set(profile, { identity: {}, t });
  }

  /** A complete refresh is the segment's membership at its time: everyone unlisted is out as of then. */
  refreshed(segment: string, members: { profile: string; identity?: number }[], t: number): void {
    const listed = new Set(members.map((m) => m.profile));
    for (const p of this.profiles) this.set(segment, p, listed.has(p), t);
    for (const m of members) this.setIdentity(m.profile, m.identity, t);
    for (const e of this.exports.values()) if (e.config.segments.some((s) => s.id === segment)) e.activated = true;
  }

  /** An on-demand run fills the export's audiences (none of the runs here is over the limit). */
  ran(exportId: string): void {
    const e = this.exports.get(exportId);
    if (e) e.activated = true;
  }

  /**
   * The configuration after a change, or null for a deletion; undefined when there is nothing to
   * publish. `fill`: a run follows, as an admin must start one after adding a segment to a filled
   * export: the streamer re-examines only the profiles it sent, so the added segment's members
   * would wait for its next refresh (a gap reported on issue 13).
   */
  change(op: Change): { exportId: string; config: ExportConfig | null; fill: boolean } | undefined {
    const exportId = op.kind === 'audience' ? 'fb' : op.exportId;
    const current = this.exports.get(exportId);
    if (!current) return undefined;
    const { config } = current;
    const d = config.destination;
    const version = ++this.version;
    let next: ExportConfig | null;
    if (op.kind === 'delete') next = null;
    else if (op.kind === 'segments') next = { ...config, version, segments: segments(op.segments) };
    else if (op.kind === 'audience') next = d.type === 'facebook-ads' ? { ...config, version, destination: { ...d, audienceId: `aud${version}` } } : config;
    else next = { ...config, version, destination: d.type === 'facebook-ads' ? { ...d, mappings: { ...d.mappings, EMAIL: op.email, PHONE: op.phone } } : { ...d, emailAttribute: op.email } };
    const before = this.audiences(config);
    const after = next ? this.audiences(next) : [];
    // A Microsoft list keeps what it held when its segment left the export, which a later run
    // cannot always clear (a replace cannot be empty): segments do not come back here.
    if (after.some((a) => this.left.has(a.id))) return undefined;
    const held = this.live();
    for (const a of before) if (!after.some((b) => b.id === a.id)) this.left.set(a.id, held.get(a.id) ?? new Set());
    if (!next) this.exports.delete(exportId);
    else {
      const moved = d.type === 'facebook-ads' && next.destination.type === 'facebook-ads' && d.audienceId !== next.destination.audienceId;
      this.exports.set(exportId, { config: next, activated: current.activated && !moved });
    }
    const added = next !== null && next.segments.some((s) => !config.segments.some((c) => c.id === s.id));
    return { exportId, config: next, fill: added && current.activated };
  }

  /** What every destination audience holds now. */
  expected(): Map<string, Set<string>> {
    return new Map([...this.left, ...this.live()]);
  }

  private live(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const { config, activated } of this.exports.values()) for (const a of this.audiences(config)) out.set(a.id, activated ? this.rows(config, a.segments) : new Set());
    return out;
  }

  private audiences(config: ExportConfig): { id: string; segments: string[] }[] {
    const d = config.destination;
    const ids = config.segments.map((s) => s.id);
    if (d.type === 'facebook-ads') return [{ id: destinationAudience({ destination: d.type, audienceKey: d.audienceId }), segments: ids }];
    return ids.map((s) => ({ id: destinationAudience({ destination: d.type, audienceKey: s }), segments: [s] }));
  }

  private rows(config: ExportConfig, segmentIds: string[]): Set<string> {
    const rows = new Set<string>();
    const d = config.destination;
    for (const p of this.profiles) {
      if (!segmentIds.some((s) => this.membership.get(`${s}/${p}`)?.member)) continue;
      const identity = this.identities.get(p)?.identity ?? {};
      if (d.type === 'microsoft-advertising') {
        const digest = oracleMicrosoftEmail(identity[d.emailAttribute as Attribute]);
        if (digest) rows.add(digest);
        continue;
      }
      const mapped = Object.entries(d.mappings) as [OracleKey, Attribute][];
      const row = oracleFacebookRow(
        mapped.map(([key]) => key),
        Object.fromEntries(mapped.map(([key, attribute]) => [key, identity[attribute]]).filter(([, v]) => v !== undefined)),
      );
      if (row) rows.add(rowText(row));
    }
    return rows;
  }
}
