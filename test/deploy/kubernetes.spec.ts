import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../../deploy/local/paths';
import { installKustomize } from '../../deploy/local/kustomize';
import { SERVICE_NODE_ARGS, serviceEntry, stackServices } from '../../deploy/local/stack';

/**
 * The manifests as `kubectl kustomize` renders them, checked for what the deployment relies on.
 * No Kubernetes JSON schemas can be fetched from here (kubeconform's come from GitHub), so the
 * schemas below cover the parts that matter, strictly where a typo would silently drop a setting.
 */
const dir = join(projectRoot(), 'deploy', 'kubernetes');
const NAMESPACE = 'audience-sync';

const secretRef = z.strictObject({ secretKeyRef: z.strictObject({ name: z.string(), key: z.string() }) });
const envVar = z.union([z.strictObject({ name: z.string(), value: z.string() }), z.strictObject({ name: z.string(), valueFrom: secretRef })]);
const probe = z.object({ httpGet: z.strictObject({ path: z.string(), port: z.union([z.string(), z.number()]) }) });
const container = z.object({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  ports: z.array(z.strictObject({ name: z.string(), containerPort: z.number() })).optional(),
  env: z.array(envVar),
  envFrom: z.array(z.strictObject({ configMapRef: z.strictObject({ name: z.string() }) })).optional(),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: z.string(), memory: z.string() }),
    limits: z.strictObject({ cpu: z.string(), memory: z.literal('512Mi') }),
  }),
  securityContext: z.strictObject({
    allowPrivilegeEscalation: z.literal(false),
    readOnlyRootFilesystem: z.literal(true),
    capabilities: z.strictObject({ drop: z.tuple([z.literal('ALL')]) }),
  }),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  startupProbe: probe.optional(),
  volumeMounts: z.array(z.strictObject({ name: z.string(), mountPath: z.string() })).optional(),
});
const podSpec = z.object({
  securityContext: z.object({ runAsNonRoot: z.literal(true), runAsUser: z.number().positive() }),
  containers: z.array(container).length(1),
  volumes: z.array(z.object({ name: z.string() })).optional(),
});
const metadata = z.object({ name: z.string(), namespace: z.literal(NAMESPACE), labels: z.record(z.string(), z.string()).optional() });
const template = z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()) }), spec: podSpec });
const workloadSpec = z.object({ replicas: z.number(), selector: z.object({ matchLabels: z.record(z.string(), z.string()) }), template });

const manifest = z.discriminatedUnion('kind', [
  z.object({ apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata: z.object({ name: z.literal(NAMESPACE) }) }),
  z.object({ apiVersion: z.literal('v1'), kind: z.literal('ConfigMap'), metadata, data: z.record(z.string(), z.string()) }),
  z.object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata,
    spec: z.object({
      type: z.literal('ClusterIP').optional(),
      clusterIP: z.literal('None').optional(),
      selector: z.record(z.string(), z.string()),
      ports: z.array(z.strictObject({ name: z.string(), port: z.number(), targetPort: z.union([z.string(), z.number()]) })),
    }),
  }),
  z.object({ apiVersion: z.literal('apps/v1'), kind: z.literal('Deployment'), metadata, spec: workloadSpec }),
  z.object({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('StatefulSet'),
    metadata,
    spec: workloadSpec.extend({
      serviceName: z.string(),
      volumeClaimTemplates: z.array(z.object({ metadata: z.object({ name: z.string() }), spec: z.object({ resources: z.object({ requests: z.object({ storage: z.string() }) }) }) })).min(1),
    }),
  }),
  z.object({ apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata, spec: z.object({ template }) }),
]);
type Manifest = z.infer<typeof manifest>;
type Workload = Extract<Manifest, { kind: 'Deployment' | 'StatefulSet' }>;

/** Variables that hold credentials: never written into a manifest, always from a Secret. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEYS|MONGODB_URI/;

/** `kubectl kustomize`, or the same kustomize built with Go where kubectl is missing. */
async function kustomize(): Promise<string> {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const binary = await installKustomize((line) => process.stdout.write(`[kustomize] ${line}\n`));
  return execFileSync(binary, ['build', dir], { encoding: 'utf8' });
}

async function render(): Promise<Manifest[]> {
  const yaml = await kustomize();
  return parseAllDocuments(yaml).map((doc) => {
    const object = doc.toJS() as { kind?: string; metadata?: { name?: string } };
    const parsed = manifest.safeParse(object);
    if (!parsed.success) throw new Error(`${object.kind}/${object.metadata?.name}: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

function secretKeys(): Map<string, Set<string>> {
  const secrets = parseAllDocuments(readFileSync(join(dir, 'secrets.example.yaml'), 'utf8')).map((d) =>
    z.object({ kind: z.literal('Secret'), metadata: z.object({ name: z.string(), namespace: z.literal(NAMESPACE) }), stringData: z.record(z.string(), z.string()) }).parse(d.toJS()),
  );
  return new Map(secrets.map((s) => [s.metadata.name, new Set(Object.keys(s.stringData))]));
}

describe('deploy/kubernetes', () => {
  let manifests: Manifest[] = [];
  let workloads: Workload[] = [];
  beforeAll(async () => {
    manifests = await render();
    workloads = manifests.filter((m): m is Workload => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  }, 10 * 60 * 1000);
  const workload = (name: string) => workloads.find((w) => w.metadata.name === name)!;

  it('renders only known kinds, every one in the namespace, and no Secret', () => {
    const kinds = manifests.map((m) => m.kind);
    expect(new Set(kinds)).toEqual(new Set(['Namespace', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet', 'Job']));
  });

  it('runs every service, the streamer as a StatefulSet keeping its state on a claimed volume', () => {
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(stackServices.map((s) => s.name).sort());
    for (const w of workloads) expect({ name: w.metadata.name, kind: w.kind }).toEqual({ name: w.metadata.name, kind: w.metadata.name === 'segment-streamer' ? 'StatefulSet' : 'Deployment' });
    const streamer = workload('segment-streamer');
    if (streamer.kind !== 'StatefulSet') throw new Error('the streamer must be a StatefulSet');
    const [c] = streamer.spec.template.spec.containers;
    const stateDir = c.env.find((e) => e.name === 'STREAMER_STATE_DIR');
    const claims = streamer.spec.volumeClaimTemplates.map((v) => v.metadata.name);
    expect(c.volumeMounts?.find((m) => m.mountPath === (stateDir && 'value' in stateDir ? stateDir.value : undefined) && claims.includes(m.name))).toBeDefined();
  });

  it.each(stackServices.map((s) => [s.name, s]))('%s: its entry point with bounded heap, probes on /health/* at its port', (_name, service) => {
    const [c] = workload(service.name).spec.template.spec.containers;
    expect(c.command).toEqual(['node', ...SERVICE_NODE_ARGS, serviceEntry(service)]);
    const port = c.ports?.find((p) => p.containerPort === service.defaultPort);
    expect(port).toBeDefined();
    for (const [probeName, path] of [['livenessProbe', '/health/live'], ['readinessProbe', '/health/ready']] as const) {
      const get = c[probeName]?.httpGet;
      expect({ probeName, path: get?.path, port: get?.port === port!.name || get?.port === port!.containerPort }).toEqual({ probeName, path, port: true });
    }
  });

  it('takes every credential from the service\'s own Secret, in the shape secrets.example.yaml documents', () => {
    const documented = secretKeys();
    for (const m of manifests) {
      if (m.kind !== 'Deployment' && m.kind !== 'StatefulSet' && m.kind !== 'Job') continue;
      const [c] = m.spec.template.spec.containers;
      for (const variable of c.env) {
        if ('value' in variable) {
          expect({ workload: m.metadata.name, inlined: variable.name }).not.toEqual({ workload: m.metadata.name, inlined: expect.stringMatching(SECRET_NAME) });
          continue;
        }
        const { name, key } = variable.valueFrom.secretKeyRef;
        expect({ workload: m.metadata.name, variable: variable.name, secret: name, documented: documented.get(name)?.has(key) }).toEqual({ workload: m.metadata.name, variable: variable.name, secret: m.metadata.name, documented: true });
      }
    }
    for (const m of manifests) if (m.kind === 'ConfigMap') expect(Object.keys(m.data).filter((k) => SECRET_NAME.test(k))).toEqual([]);
  });

  it('each service logs in to Kafka as its own user', () => {
    for (const w of workloads) {
      const [c] = w.spec.template.spec.containers;
      expect(c.env.find((e) => e.name === 'KAFKA_SASL_USERNAME')).toEqual({ name: 'KAFKA_SASL_USERNAME', value: w.metadata.name });
    }
  });

  it('exposes nothing outside the cluster itself: every Service is a ClusterIP', () => {
    const services = manifests.filter((m) => m.kind === 'Service');
    expect(services.map((s) => `${s.metadata.name} ${s.spec.type ?? 'ClusterIP'}`).sort()).toEqual(stackServices.map((s) => `${s.name} ClusterIP`).sort());
  });

  it('keeps secrets.example.yaml out of what is applied', () => {
    const kustomization = z.object({ resources: z.array(z.string()) }).parse(parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')));
    expect(kustomization.resources).not.toContain('secrets.example.yaml');
  });
});
