import { allRegistryParts, RegistryParts } from '@audience-sync/destinations';
import { ExportDoc } from '../models';

/** The block of an export (stored, or a request body) for one destination (`facebook`, `microsoft`): its settings, or null/absent. */
export function settingsBlock(e: object, parts: RegistryParts): object | null | undefined {
  return (e as Record<string, object | null | undefined>)[parts.settingsKey];
}

/** The destination an export belongs to, known by the one settings block it has. */
export function exportPartsOf(e: ExportDoc): { parts: RegistryParts; settings: object } {
  for (const parts of allRegistryParts) {
    const settings = settingsBlock(e, parts);
    if (settings) return { parts, settings };
  }
  throw new Error(`export ${e._id} has no destination settings block`);
}

/** Every block as the API shows it: the export's destination's filled in, the others left out. */
export function settingsBlocksView(e: ExportDoc): Record<string, object | undefined> {
  return Object.fromEntries(allRegistryParts.map((parts) => [parts.settingsKey, settingsBlock(e, parts) ?? undefined]));
}
