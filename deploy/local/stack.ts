/** The five services as the local stack runs them: entry point, port variable and default port. */
export const stackServices = [
  { name: 'connection-registry', portVariable: 'REGISTRY_PORT', defaultPort: 3000 },
  { name: 'segment-streamer', portVariable: 'STREAMER_PORT', defaultPort: 3001 },
  { name: 'identifier-hasher', portVariable: 'HASHER_PORT', defaultPort: 3002 },
  { name: 'sink-facebook', portVariable: 'SINK_FACEBOOK_PORT', defaultPort: 3003 },
  { name: 'sink-microsoft-ads', portVariable: 'SINK_MICROSOFT_ADS_PORT', defaultPort: 3004 },
] as const;

export type StackService = (typeof stackServices)[number];

export function servicePort(service: StackService, env: Record<string, string | undefined> = process.env): number {
  return Number(env[service.portVariable] ?? service.defaultPort);
}

/** One process of the local stack: a service, or one more instance of the streamer. */
export interface StackProcess {
  name: string;
  service: StackService;
  port: number;
  /** What this process's environment has beyond the service's. */
  env: Record<string, string>;
}

/**
 * The processes `npm start` runs: one per service, and the streamer STREAMER_INSTANCES times (one
 * active, the others standing by). Instance k > 1 listens on STREAMER_PORT + 100 × (k − 1) and keeps
 * its state in STREAMER_STATE_DIR-k.
 */
export function stackProcesses(env: Record<string, string | undefined>): StackProcess[] {
  const instances = Number(env.STREAMER_INSTANCES ?? 1);
  if (!Number.isInteger(instances) || instances < 1 || instances > 9) {
    throw new Error(`STREAMER_INSTANCES must be a whole number from 1 to 9 (how many segment-streamer processes to run), not "${env.STREAMER_INSTANCES}"`);
  }
  return stackServices.flatMap((service): StackProcess[] => {
    const port = servicePort(service, env);
    if (service.name !== 'segment-streamer') return [{ name: service.name, service, port, env: {} }];
    return Array.from({ length: instances }, (_, i): StackProcess => {
      if (i === 0) return { name: service.name, service, port, env: {} };
      const own = { port: port + 100 * i, stateDir: `${env.STREAMER_STATE_DIR}-${i + 1}` };
      return { name: `${service.name}-${i + 1}`, service, port: own.port, env: { STREAMER_PORT: String(own.port), STREAMER_STATE_DIR: own.stateDir } };
    });
  });
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
