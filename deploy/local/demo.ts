import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { SegmentEvent, Topics } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';
import { signInLikeABrowser } from '../../tools/emulators/browser-sign-in';
import { projectRoot } from './paths';
import { stackApiKeys } from './stack-env';

/**
 * `npm run demo`, against a running `npm start`: sets up a connection and an export per
 * destination through the registry's API, publishes a sample segment, and waits until the
 * emulated audiences hold exactly the expected members.
 *
 * `npm run demo -- --publish <segment id>[,<segment id>]` only publishes the same sample events
 * into the given segments (the first gets the VIP sample, the second the newsletter sample), for
 * the demo done by hand in the console.
 */
const registry = `http://127.0.0.1:${process.env.REGISTRY_PORT ?? 3000}`;
const facebook = `http://127.0.0.1:${process.env.FACEBOOK_EMULATOR_PORT ?? 4101}`;
const microsoft = `http://127.0.0.1:${process.env.MICROSOFT_EMULATOR_PORT ?? 4102}`;
const brokers = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`).split(',');
const say = (line: string) => process.stdout.write(`${line}\n`);

function adminKey(): string {
  if (process.env.REGISTRY_API_KEY) return process.env.REGISTRY_API_KEY;
  const file = join(process.env.AUDIENCE_SYNC_DATA_DIR ?? join(projectRoot(), '.data'), 'dev-secrets.json');
  if (!existsSync(file)) throw new Error(`no ${file}: start the stack with npm start first (or set REGISTRY_API_KEY)`);
  const admin = stackApiKeys(JSON.parse(readFileSync(file, 'utf8'))).find((k) => k.role === 'administrator');
  if (!admin) throw new Error(`${file} has no administrator key`);
  return admin.key;
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${registry}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Signs in like an administrator's browser: the emulators redirect straight back. */
async function signIn(connectionId: string): Promise<void> {
  const landed = await signInLikeABrowser(registry, key, connectionId);
  if (landed.status !== 200) throw new Error(`the OAuth callback answered ${landed.status}`);
}

const publishOnly = process.argv[2] === '--publish' ? process.argv[3] : undefined;
const key = publishOnly ? '' : adminKey();
const suffix = Date.now().toString(36);
const vip = `demo-vip-${suffix}`;
const news = `demo-newsletter-${suffix}`;
const person = (i: number) => ({ PrimaryEmail: `customer${i}@example.com`, MobilePhone: `+47 400 ${String(10000 + i)}`, FirstName: ['Kari', 'Ola', 'Åse', 'Jürgen'][i % 4], LastName: `Nordmann${i}` });

async function demo(): Promise<boolean> {
  say(`registry ${registry}, Kafka ${brokers.join(',')}`);
  const fbConnection = await api('POST', '/connections', { displayName: 'Demo Facebook Ads', destination: 'facebook-ads', consent: { agreed: true } });
  await signIn(fbConnection.id);
  const chosen = await api('PUT', `/connections/${fbConnection.id}/facebook/audience`, { adAccountId: 'act_1001', create: { name: `audience-sync demo ${suffix}` } });
  const msConnection = await api('POST', '/connections', { displayName: 'Demo Microsoft Advertising', destination: 'microsoft-advertising', consent: { agreed: true } });
  await signIn(msConnection.id);
  say(`connections: Facebook ${fbConnection.id} (${chosen.status}), Microsoft ${msConnection.id}`);
  const mappings = { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone', FN: 'FirstName', LN: 'LastName' };
  const fbExport = await api('POST', '/exports', { displayName: 'Demo: VIP and newsletter to Facebook', connectionId: fbConnection.id, segments: [{ id: vip, name: 'VIP customers' }, { id: news, name: 'Newsletter' }], facebook: { keyIdentifier: 'email', mappings } });
  const msExport = await api('POST', '/exports', { displayName: 'Demo: VIP to Microsoft', connectionId: msConnection.id, segments: [{ id: vip, name: `VIP customers ${suffix}` }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
  say(`exports: ${fbExport.id} (Facebook), ${msExport.id} (Microsoft); saving does not run them`);
  // Events are hashed by the rules of the exports the hasher has applied: publish once both are active.
  await waitFor(async () => (await Promise.all([fbExport, msExport].map(async (e) => (await api('GET', `/exports/${e.id}`)).pipeline.state))).every((s) => s === 'active'), 60_000, 'both exports to be active');
  say('both exports are active: the pipeline follows what was saved');

  await publishSample(vip, news);
  const union = [...new Set([...VIP_MEMBERS, ...range(40, 60), 1])];
  const fbExpected = facebookRows(['EMAIL', 'PHONE', 'FN', 'LN'], union.map((i) => ({ op: 'add' as const, identifiers: { EMAIL: person(i).PrimaryEmail, PHONE: person(i).MobilePhone, FN: person(i).FirstName, LN: person(i).LastName } }))).adds.length;
  const msExpected = microsoftEmails(VIP_MEMBERS.map((i) => ({ op: 'add' as const, identifiers: { EMAIL: person(i).PrimaryEmail } }))).adds.length;

  const deadline = Date.now() + 60_000;
  let fbCount = -1;
  let msCount = -1;
  while (Date.now() < deadline) {
    fbCount = ((await (await fetch(`${facebook}/_emulator/audiences/${chosen.facebook.audienceId}?limit=1`)).json()) as { count: number }).count;
    const { audiences } = (await (await fetch(`${microsoft}/_emulator/audiences`)).json()) as { audiences: { name: string; members: number }[] };
    msCount = audiences.find((a) => a.name === `VIP customers ${suffix}`)?.members ?? 0;
    if (fbCount === fbExpected && msCount === msExpected) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  say(`Facebook audience ${chosen.facebook.audienceId} ("audience-sync demo ${suffix}"): ${fbCount} members (expected ${fbExpected}: the union of both segments)`);
  say(`Microsoft audience "VIP customers ${suffix}": ${msCount} members (expected ${msExpected})`);
  const ok = fbCount === fbExpected && msCount === msExpected;
  say(ok ? 'demo passed: both audiences hold exactly the expected members' : 'demo FAILED: the audiences did not match within a minute (see .data/logs)');
  return ok;
}

/** Who is in the VIP segment after the sample's changes. */
const VIP_MEMBERS = [...range(1, 50).filter((i) => i !== 45), 60];

/** The sample: a refresh of each segment (VIP 0-49, newsletter 40-59), then enters and exits. */
async function publishSample(vipId: string, newsId?: string): Promise<void> {
  const producer = new Kafka({ clientId: 'demo', brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  let clock = Date.now();
  const at = () => new Date((clock += 10)).toISOString();
  const send = (e: SegmentEvent) => producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: 'segmentId' in e ? e.segmentId : e.profileId, value: JSON.stringify(e) }] });
  const refreshId = `r-${Date.now().toString(36)}`;
  const refresh = (segmentId: string, name: string, ids: number[]): SegmentEvent => ({ type: 'refresh', eventId: `${segmentId}-${refreshId}`, occurredAt: at(), segmentId, segmentName: name, refreshId: `${segmentId}-${refreshId}`, part: 1, final: true, members: ids.map((i) => ({ profileId: `p${i}`, attributes: person(i) })) });
  const move = (segmentId: string, i: number, status: 'entered' | 'exited'): SegmentEvent => ({ type: 'membership', eventId: `${segmentId}-${refreshId}-${i}-${status}`, occurredAt: at(), segmentId, segmentName: segmentId, profileId: `p${i}`, status, attributes: status === 'entered' ? person(i) : null });
  say(`publishing: a refresh of ${vipId} (profiles 0-49)${newsId ? ` and of ${newsId} (40-59)` : ''}, then enters and exits`);
  await send(refresh(vipId, 'VIP customers', range(0, 50)));
  if (newsId) await send(refresh(newsId, 'Newsletter', range(40, 60)));
  for (const e of [move(vipId, 60, 'entered'), move(vipId, 0, 'exited'), move(vipId, 45, 'exited'), ...(newsId ? [move(newsId, 1, 'entered')] : [])]) await send(e);
  await producer.disconnect();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function waitFor(done: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function publishOnlyDemo(segments: string): Promise<boolean> {
  const [vipId, newsId, ...more] = segments.split(',').map((s) => s.trim());
  if (!vipId || more.length) throw new Error('--publish takes one or two segment ids, comma-separated, e.g. --publish vip,newsletter');
  await publishSample(vipId, newsId);
  const union = new Set([...VIP_MEMBERS, ...(newsId ? [...range(40, 60), 1] : [])]);
  say(`published. After the changes ${vipId} has ${VIP_MEMBERS.length} members${newsId ? `, ${newsId} ${range(40, 60).length + 1}, together ${union.size}` : ''}.`);
  say("Open the console: an export of these segments shows a refresh run per segment, and its audience at the emulator these members.");
  return true;
}

(publishOnly === undefined ? demo() : publishOnlyDemo(publishOnly))
  .then((ok) => process.exit(ok ? 0 : 1))
  .catch((error: Error) => {
    process.stderr.write(`demo failed: ${error.message}\n`);
    process.exit(1);
  });
