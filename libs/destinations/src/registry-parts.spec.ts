import { destinationSchema, pipelineStageSchema } from '@audience-sync/contracts';
import { allRegistryParts, registryParts } from './registry-parts';

describe('the registry parts of the destinations', () => {
  it.each(destinationSchema.options)('has parts for %s, the destination the contracts name', (id) => {
    const parts = (registryParts as Record<string, (typeof allRegistryParts)[number] | undefined>)[id];
    expect(parts).toBeDefined();
    expect(parts!.id).toBe(id);
    expect(pipelineStageSchema.options).toContain(parts!.sinkStage);
    expect(parts!.maxProfiles).toBeGreaterThan(0);
  });

  it('lists no destination the contracts do not know', () => {
    expect(Object.keys(registryParts).sort()).toEqual([...destinationSchema.options].sort());
  });

  it('gives each destination its own settings block and sink, so an export names exactly one', () => {
    expect(new Set(allRegistryParts.map((p) => p.settingsKey)).size).toBe(allRegistryParts.length);
    expect(new Set(allRegistryParts.map((p) => p.sinkStage)).size).toBe(allRegistryParts.length);
  });
});
