import { randomInt } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopic, SegmentEvent, serviceNames, Topics, TopicSpec } from '@audience-sync/contracts';
import { facebookRows, microsoftEmails, normalize } from '@audience-sync/identifiers';
import { memberKey } from '../../tools/emulators/members';
import { StateChangelog } from '../../services/segment-streamer/src/changelog/state-changelog';
import { Stack } from '../support/stack';
import { drained } from '../support/drained';
import { eventually, testBrokers, uniqueName } from '../support/env';

/**
 * Invariant 3 after a demo-sized run through the whole product: the streamer's state and every
 * topic after the hasher hold none of the emails, phones and names that were published, neither
 * as given nor normalised, nor the street address that no export maps.
 */

const N = 400;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (xs: Iterable<string>) => [...xs].sort();

// Every published value holds one of two run-specific anchors, so a record without either cannot
// hold one and the scan checks only the few that do (the shared broker holds every test's data).
// The tag's letters are not hex digits, so no digest contains it by chance.
const tag = Array.from({ length: 8 }, () => 'ghijklmnopqrstuvwxyz'[randomInt(20)]).join('');
const phoneBlock = String(randomInt(90000, 100000)); // Norwegian mobile numbers start with 9 (or 4, where not all blocks are valid)
const anchors = [tag, phoneBlock];

const Tag = tag[0].toUpperCase() + tag.slice(1);
const twoLetters = (i: number) => String.fromCharCode(97 + Math.floor(i / 26) % 26, 97 + (i % 26));
type Person = { PrimaryEmail: string; MobilePhone: string; FirstName: string; LastName: string; Street: string };
const person = (i: number, over: Partial<Person> = {}): Person => ({
  PrimaryEmail: `Kunde.${Tag}${i}@Example.com`,
  MobilePhone: `+47 ${phoneBlock} ${String(i).padStart(3, '0')}`,
  FirstName: `${['Kari', 'Ola', 'Åse', 'Jürgen'][i % 4]} ${Tag}`,
  LastName: `Nordmann-${Tag}${twoLetters(i)}`,
  // Mapped by no export: the hasher forwards only that it is there.
  Street: `${Tag}gata ${i}B`,
  ...over,
});
const fbKeys = ['EMAIL', 'PHONE', 'FN', 'LN'] as const;
const fbRow = (p: Person) => memberKey(facebookRows([...fbKeys], [{ op: 'add', identifiers: { EMAIL: p.PrimaryEmail, PHONE: p.MobilePhone, FN: p.FirstName, LN: p.LastName } }]).adds[0]);
const msRow = (p: Person) => memberKey(microsoftEmails([{ op: 'add', identifiers: { EMAIL: p.PrimaryEmail } }]).adds);

/** Each published value as given and as the hasher normalises it before hashing, lowercased (the scan is case-blind). */
function needles(people: Person[]): Map<string, string> {
  const found = new Map<string, string>();
  const rules: [keyof Person, string][] = [['PrimaryEmail', 'EMAIL'], ['MobilePhone', 'PHONE'], ['FirstName', 'FN'], ['LastName', 'LN']];
  for (const p of people) {
    found.set(p.Street.toLowerCase(), 'Street as given');
    for (const [attribute, rule] of rules) {
      const normalized = normalize(rule, p[attribute]);
      if (!normalized.ok) throw new Error(`test data: ${attribute} ${p[attribute]} does not normalise (${normalized.reason})`);
      found.set(p[attribute].toLowerCase(), `${attribute} as given`);
      found.set(normalized.values[rule].toLowerCase(), `${attribute} normalised`);
    }
  }
  return found;
}

/** How many records hold a needle, and the first few of them with what they hold. */
function scan(records: { where: string; text: string }[], wanted: Map<string, string>): { records: number; first: string[] } {
  const hits: string[] = [];
  for (const { where, text } of records) {
    const haystack = text.toLowerCase();
    if (!anchors.some((a) => haystack.includes(a))) continue;
    const found = [...wanted].filter(([needle]) => haystack.includes(needle)).map(([needle, what]) => `${what} "${needle}"`);
    if (found.length > 0) hits.push(`${where}: ${found.slice(0, 2).join(', ')}${found.length > 2 ? ` and ${found.length - 2} more` : ''}`);
  }
  return { records: hits.length, first: hits.slice(0, 5) };
}

/**
 * Plain personal data rests by design only on the upstream topic (segment-events.v1) and in the
 * hasher's dead letters (copies of upstream records it could not read), both kept briefly; every
 * other topic comes after the hasher and must hold digests only.
 */
const withPlainData: TopicSpec[] = [Topics.segmentEvents, deadLetterTopic('identifier-hasher')];
const allTopics: TopicSpec[] = [...Object.values(Topics), ...serviceNames.map(deadLetterTopic)];
// The streamer's changelog is read as a restore reads it (readChangelog), under the stack's own name.
const afterTheHasher = allTopics.filter((t) => !withPlainData.some((p) => p.name === t.name) && t !== Topics.streamerState);

/** Every record of these topics from the beginning up to their ends now: value, key and headers as text. */
async function readTopics(topics: string[]): Promise<{ where: string; text: string }[]> {
  const kafka = new Kafka({ clientId: 'pii-scan', brokers: testBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  try {
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) if (p.high !== p.low) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const records: { where: string; text: string }[] = [];
  // Uncommitted too: what aborted transactions left (the streamer's output is transactional) is at rest as well.
  const consumer = kafka.consumer({ groupId: uniqueName('pii-scan'), readUncommitted: true });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    const remaining = new Set(ends.keys());
    // A partition may end with a transaction marker, which no message stands for: its batch's last offset does.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (BigInt(payload.lastOffset) + 1n >= (ends.get(`${payload.topic}/${payload.partition}`) ?? 0n)) remaining.delete(`${payload.topic}/${payload.partition}`);
    });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers = Object.entries(message.headers ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ');
        records.push({ where: `${topic}[${partition}]@${message.offset}`, text: `${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''} ${headers}` });
        if (BigInt(message.offset) + 1n >= (ends.get(`${topic}/${partition}`) ?? 0n)) remaining.delete(`${topic}/${partition}`);
      },
    });
    await eventually(
      () => {
        if (remaining.size > 0) throw new Error(`still to read: ${[...remaining].join(', ')}`);
        return true;
      },
      60000,
      'the scan to read every topic to its end',
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** The streamer's changelog, every record a restore would apply, as text. */
async function readChangelog(topic: string): Promise<{ where: string; text: string }[]> {
  const changelog = new StateChangelog(new Kafka({ clientId: 'pii-scan', brokers: testBrokers(), logLevel: logLevel.NOTHING }), topic);
  await changelog.connect();
  const records: { where: string; text: string }[] = [];
  try {
    await changelog.restore(
      async (writes) => void records.push(...writes.map((w) => ({ where: `${topic} key ${JSON.stringify(w.key)}`, text: `${w.key} ${w.value ?? ''}` }))),
      () => undefined,
    );
  } finally {
    await changelog.disconnect();
  }
  return records;
}

/** Every key and value of a LevelDB as text; the database must not be open elsewhere. */
async function readState(directory: string): Promise<{ where: string; text: string }[]> {
  const db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false });
  await db.open();
  try {
    const records: { where: string; text: string }[] = [];
    for await (const [key, value] of db.iterator()) records.push({ where: `state key ${JSON.stringify(key.toString('utf8'))}`, text: `${key.toString('utf8')} ${value.toString('utf8')}` });
    return records;
  } finally {
    await db.close();
  }
}

describe('no plain personal data past the hasher, none at rest', () => {
  const stack = new Stack();
  const run = uniqueName('pii');
  const vip = `${run}-vip`;
  const news = `${run}-news`;
  const profile = (i: number) => `${run}-p${i}`;
  let clock = Date.parse('2026-11-01T00:00:00Z');
  const at = () => new Date((clock += 1000)).toISOString();

  const refresh = (segmentId: string, ids: number[], parts: number): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    const size = Math.ceil(ids.length / parts);
    return range(0, parts).map((n) => ({
      type: 'refresh' as const, eventId: `${refreshId}-${n}`, occurredAt: at(), segmentId, segmentName: segmentId, refreshId, part: n + 1, final: n === parts - 1,
      members: ids.slice(n * size, (n + 1) * size).map((i) => ({ profileId: profile(i), attributes: person(i) })),
    }));
  };
  const member = (segmentId: string, i: number, status: 'entered' | 'exited'): SegmentEvent => ({
    type: 'membership', eventId: uniqueName('m'), occurredAt: at(), segmentId, segmentName: segmentId, profileId: profile(i), status, attributes: status === 'entered' ? person(i) : null,
  });

  beforeAll(() => stack.start(), 180000);
  afterAll(() => stack.stop());

  it('the streamer\'s state and every topic after the hasher hold none of the emails, phones and names published', async () => {
    expect(allTopics.filter((t) => t.personalData).map((t) => t.name)).toEqual(withPlainData.map((t) => t.name));

    const fbConnection = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const audienceId = (await stack.api('GET', `/connections/${fbConnection}`)).body.facebook.audienceId as string;
    const fb = await stack.api('POST', '/exports', { displayName: 'fb', connectionId: fbConnection, segments: [{ id: vip, name: vip }, { id: news, name: news }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone', FN: 'FirstName', LN: 'LastName' } } });
    const msConnection = await stack.connect('microsoft-advertising');
    const ms = await stack.api('POST', '/exports', { displayName: 'ms', connectionId: msConnection, segments: [{ id: vip, name: vip }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect([fb.status, ms.status]).toEqual([201, 201]);
    await Promise.all([stack.untilActive(fb.body.id, fb.body.version), stack.untilActive(ms.body.id, ms.body.version)]);

    const fbMembers = async () => sorted(await stack.facebookMembers(audienceId));
    const msMembers = async () => sorted((await stack.microsoftMembers(vip)) ?? []);
    const delivered = async (fbIds: number[], msIds: number[], current: (i: number) => Person = person) =>
      JSON.stringify(await fbMembers()) === JSON.stringify(sorted(fbIds.map((i) => fbRow(current(i))))) && JSON.stringify(await msMembers()) === JSON.stringify(sorted(msIds.map((i) => msRow(current(i)))));

    // A refresh of each segment; then live enters and exits, and an identifier change.
    await stack.publish([...refresh(vip, range(0, 300), 3), ...refresh(news, range(250, N), 2)]);
    await eventually(() => delivered(range(0, N), range(0, 300)), 60000, 'both audiences to hold the refreshed members');
    const moved = person(7, { PrimaryEmail: `Flyttet.${Tag}@Example.org`, MobilePhone: `+47 ${phoneBlock} 999` });
    await stack.publish([member(vip, 0, 'exited'), member(vip, 10, 'exited'), member(vip, 350, 'entered'), member(news, 10, 'entered'), member(news, 399, 'exited')]);
    await stack.publish([{ type: 'profile', eventId: uniqueName('p'), occurredAt: at(), profileId: profile(7), attributes: { PrimaryEmail: moved.PrimaryEmail, MobilePhone: moved.MobilePhone } }]);
    const vipMembers = [...range(1, 300).filter((i) => i !== 10), 350];
    const union = [...new Set([...vipMembers, ...range(250, N - 1), 10])];
    const current = (i: number) => (i === 7 ? moved : person(i));
    const live = () => delivered(union, vipMembers, current);
    await eventually(live, 60000, `both audiences to hold the ${union.length} and ${vipMembers.length} members after the live events`);

    // A run on demand of each export: a replace from the streamer's state.
    for (const exportId of [fb.body.id, ms.body.id]) {
      const started = await stack.api('POST', `/exports/${exportId}/runs`);
      expect(started.status).toBe(202);
      await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === started.body.id)?.state === 'succeeded', 60000, `the on-demand run of ${exportId} to succeed`);
    }
    expect(await live()).toBe(true);
    await drained();

    // LevelDB locks its directory: the streamer lets go of it when it stops.
    await stack.services.get('segment-streamer')!.kill('SIGTERM');
    const state = await readState(stack.env.STREAMER_STATE_DIR);
    const changelog = await readChangelog(stack.env.STREAMER_STATE_TOPIC);
    const read = await readTopics([...afterTheHasher, Topics.segmentEvents].map((t) => t.name));
    const upstream = read.filter((r) => r.where.startsWith(`${Topics.segmentEvents.name}[`));
    const topics = read.filter((r) => !upstream.includes(r));

    // The scan saw the run: the state holds a record per member at least, the hashed topic carries every profile, the changes topics both exports.
    expect(state.filter((r) => r.text.includes(run)).length).toBeGreaterThanOrEqual(union.length);
    expect(changelog.filter((r) => r.text.includes(run)).length).toBeGreaterThanOrEqual(union.length);
    const profileIds = range(0, N).map(profile);
    const hashed = topics.filter((r) => r.where.startsWith(`${Topics.hashedSegmentEvents.name}[`)).map((r) => r.text).join('\n');
    expect(profileIds.filter((id) => !hashed.includes(`"${id}"`))).toEqual([]);
    for (const [topic, exportId] of [[Topics.facebookChanges, fb.body.id], [Topics.microsoftChanges, ms.body.id]] as const) {
      expect(topics.some((r) => r.where.startsWith(`${topic.name}[`) && r.text.includes(exportId))).toBe(true);
    }

    const wanted = needles([...range(0, N).map((i) => person(i)), moved]);
    expect([...wanted.keys()].filter((n) => !anchors.some((a) => n.includes(a)))).toEqual([]);
    // The scan finds what is there: upstream, the five refresh parts, two enters and the profile change hold the values.
    expect(scan(upstream, wanted).records).toBe(8);
    const clean = { records: 0, first: [] };
    expect({ state: scan(state, wanted), changelog: scan(changelog, wanted), topics: scan(topics, wanted) }).toEqual({ state: clean, changelog: clean, topics: clean });
  });
});
