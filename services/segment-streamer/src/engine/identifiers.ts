import { ExportConfig, ProfileAttributes } from '@audience-sync/contracts';
import { Identifiers } from './state-store';

/** The export's mapped identifiers of one profile, plain text; empty when nothing usable is mapped. */
export function identifiersFor(config: ExportConfig, attributes: ProfileAttributes | undefined): Identifiers {
  const out: Identifiers = {};
  if (!attributes) return out;
  const mappings: [string, string][] =
    config.destination.type === 'facebook-ads' ? (Object.entries(config.destination.mappings) as [string, string][]) : [['EMAIL', config.destination.emailAttribute]];
  for (const [key, attribute] of mappings) {
    const value = attributes[attribute];
    if (value === null || value === undefined) continue;
    const text = String(value).trim();
    if (text) out[key] = text;
  }
  return out;
}

export function sameIdentifiers(a: Identifiers | undefined, b: Identifiers | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

export interface AudienceOf {
  audienceKey: string;
  audienceName?: string;
  segmentIds: string[];
}

/** Facebook: one audience fed by the union of the segments. Microsoft: one audience per segment. */
export function audiencesOf(config: ExportConfig): AudienceOf[] {
  if (config.destination.type === 'facebook-ads') return [{ audienceKey: config.destination.audienceId, segmentIds: config.segments.map((s) => s.id) }];
  return config.segments.map((s) => ({ audienceKey: s.id, audienceName: s.name, segmentIds: [s.id] }));
}

/**
 * The audience at the destination: several exports may feed one (two exports choosing the same
 * Facebook audience, or Microsoft segments of the same name in one account), which then holds the
 * union of their members.
 */
export function destinationAudienceOf(config: ExportConfig, audience: AudienceOf): string {
  const d = config.destination;
  return d.type === 'facebook-ads' ? `fb:${d.audienceId}` : `ms:${d.customerId}:${d.accountId}:${audience.audienceName ?? audience.audienceKey}`;
}

/** What the sent state depends on: a change means every sent entry must be looked at again. */
export function fingerprintOf(config: ExportConfig): { fingerprint: string; audienceFingerprint: string } {
  const d = config.destination;
  const audienceFingerprint = d.type === 'facebook-ads' ? `fb:${d.audienceId}` : `ms:${d.customerId}:${d.accountId}`;
  const mapping = d.type === 'facebook-ads' ? JSON.stringify(Object.entries(d.mappings).sort()) : d.emailAttribute;
  return { fingerprint: `${audienceFingerprint}|${mapping}|${config.segments.map((s) => s.id).sort().join(',')}`, audienceFingerprint };
}
