import { ExportConfig } from '@audience-sync/contracts';
import { DestinationId } from './destination';
import { destinations } from './destinations';
import { AudienceOf, SettingsOf, StreamParts } from './stream-parts';

/** A destination's stream parts, for code that works on any destination. */
export function streamParts(destination: DestinationId): StreamParts<DestinationId> {
  // Each module's parts fit the settings of its own id, which is what callers pass them.
  return destinations[destination].stream as StreamParts<DestinationId>;
}

/**
 * An export's view of its destination's stream parts, with the export's settings bound, so
 * callers need not know which destination it is.
 */
export interface BoundStream {
  rules: [string, string][];
  audiences: AudienceOf[];
  destinationAudience(audience: AudienceOf): string;
  audienceFingerprint: string;
  /** What the sent state depends on: a change means every sent entry must be looked at again. */
  fingerprint: string;
}

const bound = new WeakMap<ExportConfig, BoundStream>();

/** Worked out once per configuration object (the streamer asks for every chunk it reconciles). */
export function streamOf(config: ExportConfig): BoundStream {
  let stream = bound.get(config);
  if (!stream) bound.set(config, (stream = bindStream(config)));
  return stream;
}

function bindStream(config: ExportConfig): BoundStream {
  const settings = config.destination as SettingsOf<DestinationId>;
  // The record is keyed by the settings' own type, so the parts fit the settings they get.
  const parts = streamParts(settings.type);
  const rules = parts.identifierRules(settings);
  const audienceFingerprint = parts.audienceFingerprint(settings);
  const mapping = JSON.stringify([...rules].sort());
  return {
    rules,
    audiences: parts.audiences(config as ExportConfig & { destination: SettingsOf<DestinationId> }),
    destinationAudience: (audience) => parts.destinationAudience(settings, audience),
    audienceFingerprint,
    fingerprint: `${audienceFingerprint}|${mapping}|${config.segments.map((s) => s.id).sort().join(',')}`,
  };
}

/** The rules every export applies, by attribute: what the hasher computes for each value it sees. */
export function attributeRules(configs: Iterable<ExportConfig>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const config of configs) {
    for (const [rule, attribute] of streamOf(config).rules) out.set(attribute, (out.get(attribute) ?? new Set()).add(rule));
  }
  return new Map([...out].map(([attribute, rules]) => [attribute, [...rules].sort()]));
}
