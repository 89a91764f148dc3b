import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import { ExportConfig, FacebookChangeBatch, RunStatus, SegmentEvent, Topics } from '@audience-sync/contracts';
import { facebookRows } from '@audience-sync/identifiers';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { memberKey } from '../../tools/emulators/members';
import { eventually, testBrokers, uniqueName } from '../support/env';
import { RunningService, startService } from '../../tools/services';
import { Stack } from '../support/stack';
import { skipLeftovers } from '../support/leftovers';
import { AppliedConfigs } from '../support/applied-configs';

const digest = (i: number) => createHash('sha256').update(`gone${i}@example.com`).digest('hex');
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (xs: string[]) => [...xs].sort();

/**
 * sink-facebook as a process against the Facebook emulator, with a small stand-in for the
 * registry's internal API (access tokens; an export's problem, stored and published with the
 * export's config as the registry does). The audience is deleted in the middle of a refresh.
 */
describe('sink-facebook: a Facebook audience deleted mid-stream', () => {
  const exportId = uniqueName('gone-export');
  const connectionId = uniqueName('gone-connection');
  const runId = uniqueName('gone-run');
  let emulators: Emulators;
  let registry: Server;
  let sink: RunningService;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let current: ExportConfig;
  const problems: string[] = [];
  const statuses: RunStatus[] = [];
  const applied = new AppliedConfigs(['sink-facebook']);
  let statusReader: ReturnType<Kafka['consumer']>;

  const publishConfig = async (config: ExportConfig) => {
    current = config;
    await producer.send({ topic: Topics.exportConfigs.name, messages: [{ key: exportId, value: JSON.stringify(config) }] });
  };
  const config = (version: number, audienceId: string): ExportConfig => ({
    exportId,
    version,
    displayName: 'gone',
    connectionId,
    connectionState: 'active',
    segments: [{ id: 'seg', name: 'seg' }],
    maxProfiles: 10_000_000,
    updatedAt: new Date().toISOString(),
    destination: { type: 'facebook-ads', adAccountId: '1001', audienceId, keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } },
  });
  const send = async (audienceKey: string, ids: number[], run?: FacebookChangeBatch['run']) => {
    const batch: FacebookChangeBatch = {
      batchId: uniqueName('b'),
      audience: { exportId, exportVersion: 1, connectionId, destination: 'facebook-ads', audienceKey, facebookKeys: ['EMAIL'] },
      mode: { kind: 'delta' },
      ...(run ? { run } : {}),
      schema: ['EMAIL'],
      adds: ids.map((i) => [digest(i)]),
      removes: [],
      counts: { droppedValues: {}, rejectedRows: 0 },
    };
    const [meta] = await producer.send({ topic: Topics.facebookChanges.name, messages: [{ key: `${exportId}/${audienceKey}`, value: JSON.stringify(batch) }] });
    return { partition: meta.partition, offset: Number(meta.baseOffset) };
  };
  const members = (audienceId: string) => emulators.facebook.state.audiences.get(audienceId)?.members.page(0, 100_000) ?? [];
  const rows = (ids: number[]) => sorted(ids.map((i) => memberKey([digest(i)])));
  const committed = async (partition: number) => {
    const [topic] = await admin.fetchOffsets({ groupId: 'sink-facebook', topics: [Topics.facebookChanges.name] });
    return Number(topic.partitions.find((p) => p.partition === partition)!.offset);
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    const token = emulators.facebook.state.issueToken(true, 3600);
    kafka = new Kafka({ clientId: 'audience-gone-test', brokers: testBrokers(), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    registry = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', async () => {
        if (req.url === `/internal/connections/${connectionId}/access-token`) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: token, expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
        } else if (req.url === `/internal/exports/${exportId}/problem` && req.headers.authorization === 'Bearer sink-facebook-internal-token-for-this-test') {
          const { problem } = JSON.parse(body) as { problem: string };
          problems.push(problem);
          await publishConfig({ ...current, problem });
          res.writeHead(204).end();
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    await skipLeftovers([['sink-facebook', Topics.facebookChanges]]);
    sink = await startService('sink-facebook', 'SINK_FACEBOOK_PORT', {
      KAFKA_BROKERS: testBrokers().join(','),
      REGISTRY_INTERNAL_URL: `http://127.0.0.1:${(registry.address() as AddressInfo).port}`,
      INTERNAL_API_TOKEN: 'sink-facebook-internal-token-for-this-test',
      FACEBOOK_GRAPH_BASE_URL: `${emulators.facebook.url}/v27.0`,
      SINK_BACKOFF_BASE_MS: '50',
      SINK_BACKOFF_MAX_MS: '400',
    });
    statusReader = kafka.consumer({ groupId: uniqueName('audience-gone-status') });
    await statusReader.connect();
    await statusReader.subscribe({ topics: [Topics.runStatusFromFacebook.name], fromBeginning: true });
    await statusReader.run({ eachMessage: async ({ message }) => void statuses.push(JSON.parse(message.value!.toString())) });
    await applied.start();
  }, 120000);

  afterAll(async () => {
    await applied.stop();
    await statusReader?.disconnect();
    await sink?.kill();
    await admin?.disconnect();
    await producer?.disconnect();
    await new Promise((resolve) => registry?.close(resolve));
    await emulators?.close();
  });

  it('fails the run saying what to do, flags the export, keeps every row, and delivers them to the audience the fixed config names', async () => {
    const first = emulators.facebook.state.createAudience('1001', { name: 'first', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
    await publishConfig(config(1, first));
    await send(first, range(0, 10));
    await eventually(() => JSON.stringify(sorted(members(first))) === JSON.stringify(rows(range(0, 10))), 30000, 'the first rows in the first audience');

    const deleted = await fetch(`${emulators.facebook.url}/v27.0/${first}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulators.facebook.state.issueToken(true, 60)}` } });
    expect(await deleted.json()).toEqual({ success: true });
    const run = (last: boolean) => ({ runId, trigger: 'refresh' as const, audiences: 1, last });
    const waiting = await send(first, range(10, 20), run(false));
    await send(first, range(20, 30), run(false));
    await send(first, range(30, 40), run(true));

    const failed = await eventually(() => statuses.find((s) => s.runId === runId && s.state === 'failed'), 30000, 'the run to fail');
    expect(failed.error).toMatch(new RegExp(`100/33 for the custom audience ${first}: it was deleted.*Choose another customer-list audience or create one for the export: PATCH /exports/\\{id\\}`, 's'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/no longer lets this export use its custom audience.*nothing is dropped/s);
    // The sink has applied the config the problem came back in (its second report of version 1), so it holds the export.
    await eventually(() => applied.of('sink-facebook', exportId).length >= 2, 30000, 'the sink to apply the config with the problem');
    expect(await committed(waiting.partition)).toBeLessThanOrEqual(waiting.offset); // the waiting batch is not committed
    expect(emulators.facebook.state.audiences.has(first)).toBe(false);

    // The admin chooses another audience: the registry publishes the export's config without the problem.
    const second = emulators.facebook.state.createAudience('1001', { name: 'second', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
    await publishConfig(config(2, second));
    await eventually(() => JSON.stringify(sorted(members(second))) === JSON.stringify(rows(range(10, 40))), 30000, 'every waiting row in the second audience');
    const final = await eventually(() => statuses.find((s) => s.runId === runId && s.state === 'failed' && s.counts.sent === 30), 30000, 'the final totals of the failed run');
    expect(final.error).toBe(failed.error);
    await eventually(async () => (await committed(waiting.partition)) > waiting.offset + 2, 15000, 'the batches to be committed');
    expect(problems).toHaveLength(1);
  });
});

/** The same through the whole product: the registry flags the export and the admin's change clears it. */
describe('a Facebook audience deleted mid-stream, end to end', () => {
  const stack = new Stack();
  let clock = Date.parse('2026-11-02T00:00:00Z');
  const attrs = (i: number) => ({ PrimaryEmail: `gone-e2e${i}@example.com` });
  const row = (i: number) => memberKey(facebookRows(['EMAIL'], [{ op: 'add', identifiers: { EMAIL: attrs(i).PrimaryEmail } }]).adds[0]);
  const refresh = (segmentId: string, ids: number[]): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    return [{ type: 'refresh', eventId: refreshId, occurredAt: new Date((clock += 1000)).toISOString(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: attrs(i) })) }];
  };
  const holds = (audienceId: string, ids: number[]) =>
    eventually(async () => JSON.stringify(sorted(await stack.facebookMembers(audienceId))) === JSON.stringify(sorted(ids.map(row))), 60000, `audience ${audienceId} to hold ${ids.length} rows`);

  beforeAll(async () => {
    await stack.start();
  }, 180000);
  afterAll(() => stack.stop());

  it('the run fails with what to do, the export needs attention, and after the admin chooses a new audience every row arrives there', async () => {
    const seg = uniqueName('gone');
    const connectionId = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('first') } } as never);
    const first = (await stack.api('GET', `/connections/${connectionId}`)).body.facebook.audienceId as string;
    const mappings = { EMAIL: 'PrimaryEmail' };
    const created = await stack.api('POST', '/exports', { displayName: 'gone', connectionId, segments: [{ id: seg, name: seg }], facebook: { keyIdentifier: 'email', mappings } });
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    await stack.publish(refresh(seg, range(0, 10)));
    await holds(first, range(0, 10));

    await fetch(`${stack.emulators.facebook.url}/v27.0/${first}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.emulators.facebook.state.issueToken(true, 60)}` } });
    await stack.publish(refresh(seg, range(0, 25)));
    const failed = await eventually(async () => (await stack.runs(exportId)).find((r) => r.state === 'failed'), 60000, 'the refresh run to fail');
    expect(failed.error).toMatch(/it was deleted, or the connection's Facebook user cannot see it.*Choose another customer-list audience or create one for the export/s);
    expect((await stack.api('GET', `/exports/${exportId}`)).body).toMatchObject({ state: 'needs-attention', problem: expect.stringMatching(/nothing is dropped/) });

    const changed = await stack.api('PATCH', `/exports/${exportId}`, { facebook: { keyIdentifier: 'email', mappings, audience: { adAccountId: 'act_1001', create: { name: uniqueName('second') } } } });
    expect(changed.body.state).toBe('active');
    const second = changed.body.audiences[0].audienceId as string;
    // The waiting changes go there, and the change started a full sync that brings the new audience the rest.
    expect(changed.body.startedRun).toEqual(expect.any(String));
    const finished = await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === changed.body.startedRun && ['succeeded', 'failed'].includes(r.state)), 60000, 'the full sync to end');
    expect(finished).toMatchObject({ state: 'succeeded' });
    await holds(second, range(0, 25));
  });
});
