import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { pipelineStageSchema, SegmentEvent, Topics } from '@audience-sync/contracts';
import { Emulators, EmulatorOptions, startEmulators } from '../../tools/emulators/main';
import { signInLikeABrowser } from '../../tools/emulators/browser-sign-in';
import { serviceEnvironment } from '../../deploy/local/stack-env';
import { freePort } from '../../deploy/local/process';
import { eventually, testBrokers, testMongoUri, uniqueName } from './env';
import { RunningService, startService } from '../../tools/services';
import { skipLeftovers } from './leftovers';
import { AppliedConfigs } from './applied-configs';

const SERVICES = [
  ['identifier-hasher', 'HASHER_PORT'],
  ['segment-streamer', 'STREAMER_PORT'],
  ['sink-facebook', 'SINK_FACEBOOK_PORT'],
  ['sink-microsoft-ads', 'SINK_MICROSOFT_ADS_PORT'],
] as const;

const pipelineStages = pipelineStageSchema.options;

export type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** The whole product: emulators in-process (tests inspect them), the five services as processes. */
export class Stack {
  readonly services = new Map<string, RunningService>();
  emulators!: Emulators;
  registryUrl!: string;
  env!: Record<string, string>;
  producer!: Producer;
  /** What each stage reports it applied, for exports the registry does not show (never saved there, or deleted). The registry creates the topics. */
  readonly applied = new AppliedConfigs();
  private stateDir!: string;
  readonly adminKey = `admin-${randomBytes(12).toString('hex')}`;
  readonly contributorKey = `contributor-${randomBytes(12).toString('hex')}`;

  async start(emulatorOptions: EmulatorOptions = {}): Promise<void> {
    await skipLeftovers();
    this.emulators = await startEmulators(emulatorOptions);
    const registryPort = await freePort();
    this.registryUrl = `http://127.0.0.1:${registryPort}`;
    this.stateDir = mkdtempSync(join(tmpdir(), 'e2e-streamer-'));
    this.env = {
      KAFKA_BROKERS: testBrokers().join(','),
      MONGODB_URI: testMongoUri('e2e'),
      LOG_LEVEL: 'log',
      REGISTRY_API_KEYS: `alice:administrator:${this.adminKey},bob:contributor:${this.contributorKey}`,
      INTERNAL_TOKEN_SINK_FACEBOOK: randomBytes(24).toString('hex'),
      INTERNAL_TOKEN_SINK_MICROSOFT_ADS: randomBytes(24).toString('hex'),
      CREDENTIALS_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      REGISTRY_PUBLIC_URL: this.registryUrl,
      REGISTRY_INTERNAL_URL: this.registryUrl,
      FACEBOOK_GRAPH_BASE_URL: `${this.emulators.facebook.url}/v27.0`,
      FACEBOOK_DIALOG_BASE_URL: `${this.emulators.facebook.url}/v27.0/dialog/oauth`,
      MICROSOFT_OAUTH_BASE_URL: `${this.emulators.microsoft.url}/common/oauth2/v2.0`,
      MICROSOFT_ADS_BASE_URL: `${this.emulators.microsoft.url}/CampaignManagement/v13`,
      MICROSOFT_DEVELOPER_TOKEN: 'BBD37VB98',
      MICROSOFT_RATE_LIMIT_WAIT_MS: '300',
      SINK_BACKOFF_BASE_MS: '50',
      SINK_BACKOFF_MAX_MS: '400',
      STREAMER_STATE_DIR: this.stateDir,
      // A changelog of its own: the shared broker's default one holds other tests' streamers' state.
      STREAMER_STATE_TOPIC: uniqueName('segment-streamer.state-test'),
    };
    this.services.set('connection-registry', await startService('connection-registry', 'REGISTRY_PORT', this.env, registryPort));
    await Promise.all([this.applied.start(), ...SERVICES.map(async ([name, port]) => this.services.set(name, await startService(name, port, serviceEnvironment(name, this.env))))]);
    this.producer = new Kafka({ clientId: 'e2e', brokers: testBrokers(), logLevel: logLevel.NOTHING }).producer();
    await this.producer.connect();
  }

  /** `between`: done while the service is down (e.g. losing the streamer's disk). */
  async restart(name: (typeof SERVICES)[number][0], signal: NodeJS.Signals = 'SIGKILL', between?: () => void): Promise<void> {
    await this.services.get(name)!.kill(signal);
    between?.();
    const port = SERVICES.find(([n]) => n === name)![1];
    this.services.set(name, await startService(name, port, serviceEnvironment(name, this.env)));
  }

  async stop(): Promise<void> {
    await this.applied.stop();
    await this.producer?.disconnect();
    await Promise.all([...this.services.values()].map((s) => s.kill('SIGTERM')));
    await this.emulators?.close();
    if (this.stateDir) rmSync(this.stateDir, { recursive: true, force: true });
  }

  api: ApiCall = async (method, path, body) => {
    const response = await fetch(`${this.registryUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  /** Creates a connection and signs in through the emulated provider like a browser would. */
  async connect(destination: 'facebook-ads' | 'microsoft-advertising', facebookAudience?: { adAccountId: string; audienceId: string }): Promise<string> {
    const created = await this.api('POST', '/connections', { displayName: destination, destination, consent: { agreed: true } });
    await this.authorize(created.body.id);
    if (facebookAudience) {
      const chosen = await this.api('PUT', `/connections/${created.body.id}/facebook/audience`, facebookAudience);
      if (chosen.status !== 200) throw new Error(`choosing the audience failed: ${JSON.stringify(chosen.body)}`);
    }
    return created.body.id;
  }

  async authorize(connectionId: string): Promise<void> {
    const landed = await signInLikeABrowser(this.registryUrl, this.adminKey, connectionId);
    if (landed.status !== 200) throw new Error(`OAuth callback answered ${landed.status}`);
  }

  /**
   * Until the export's view says the pipeline follows `version` (the one a save answered with): the
   * streamer and the export's sink have applied it, so what is published next meets it.
   */
  async untilActive(exportId: string, version: number): Promise<void> {
    await eventually(
      async () => {
        const { pipeline } = (await this.api('GET', `/exports/${exportId}`)).body;
        if (pipeline.state === 'active' && pipeline.appliedVersion >= version) return true;
        // Said if it times out, with what each stage reported.
        throw new Error(`it shows ${JSON.stringify(pipeline)}; reports: ${JSON.stringify(Object.fromEntries(pipelineStages.map((s) => [s, this.applied.of(s, exportId)])))}`);
      },
      30000,
      `the pipeline to apply version ${version} of export ${exportId}`,
    );
  }

  async publish(events: SegmentEvent[]): Promise<void> {
    for (const e of events) await this.producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: 'segmentId' in e ? e.segmentId : e.profileId, value: JSON.stringify(e) }] });
  }

  async facebookMembers(audienceId: string): Promise<string[]> {
    const r = await fetch(`${this.emulators.facebook.url}/_emulator/audiences/${audienceId}?limit=100000`);
    return r.ok ? ((await r.json()) as { members: string[] }).members : [];
  }

  async microsoftMembers(name: string): Promise<string[] | undefined> {
    const audience = [...this.emulators.microsoft.audiences.values()].find((a) => a.name === name);
    return audience ? audience.members.page(0, 1_000_000) : undefined;
  }

  async runs(exportId: string): Promise<any[]> {
    return (await this.api('GET', `/exports/${exportId}/runs?limit=100`)).body.items;
  }
}
