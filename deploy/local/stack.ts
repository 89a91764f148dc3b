/** The five services as the local stack runs them: entry point, port variable and default port. */
export const stackServices = [
  { name: 'connection-registry', portVariable: 'REGISTRY_PORT', defaultPort: 3000 },
  { name: 'segment-streamer', portVariable: 'STREAMER_PORT', defaultPort: 3001 },
  { name: 'identifier-hasher', portVariable: 'HASHER_PORT', defaultPort: 3002 },
  { name: 'sink-facebook', portVariable: 'SINK_FACEBOOK_PORT', defaultPort: 3003 },
  { name: 'sink-microsoft-ads', portVariable: 'SINK_MICROSOFT_ADS_PORT', defaultPort: 3004 },
] as const;

export type StackService = (typeof stackServices)[number];

export function servicePort(service: StackService, env: NodeJS.ProcessEnv = process.env): number {
  return Number(env[service.portVariable] ?? service.defaultPort);
}

/** Where a service's built entry point lives, relative to the project root. */
export function serviceEntry(service: StackService): string {
  return `dist/services/${service.name}/src/main.js`;
}

/**
 * Node flags every service runs with. Without heap pressure V8 lets garbage pile up (the streamer
 * reached 655 MB RSS in a 1M-profile sync); the services work in bounded chunks, so a 320 MB old
 * space is ample and keeps each process under 512 MB.
 */
export const SERVICE_NODE_ARGS = ['--max-old-space-size=320'];
