import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@audience-sync/contracts';
import { ensureTopics } from '@audience-sync/kafka';
import { StateChangelog } from '../../services/segment-streamer/src/changelog/state-changelog';
import { EncodedWrite } from '../../services/segment-streamer/src/engine/state-journal';
import { eventually, testBrokers, uniqueName } from '../support/env';

/** The changelog on the real broker: what a restore reads back, and the topic it accepts. */
describe('the streamer state changelog on a real broker', () => {
  const kafka = new Kafka({ clientId: 'state-changelog-test', brokers: testBrokers(), logLevel: logLevel.NOTHING });
  const opened: StateChangelog[] = [];
  const open = async (name: string) => {
    const changelog = new StateChangelog(kafka, name);
    opened.push(changelog);
    await changelog.connect();
    return changelog;
  };
  const restored = async (changelog: StateChangelog) => {
    const out = new Map<string, string | null>();
    await changelog.restore(async (writes: EncodedWrite[]) => void writes.forEach((w) => out.set(w.key, w.value)), () => undefined);
    return out;
  };
  afterAll(() => Promise.all(opened.map((c) => c.disconnect())));

  it('restores what committed flushes wrote, in order, never what an aborted transaction wrote', async () => {
    const topic = { ...Topics.streamerState, name: uniqueName('segment-streamer.state-test') };
    await ensureTopics(kafka, [topic], { service: 'segment-streamer' });
    const changelog = await open(topic.name);
    expect(await changelog.isEmpty()).toBe(true);
    await changelog.record([{ key: 'a', value: '1' }, { key: 'b', value: '1' }, { key: 'a', value: '2' }]);
    await changelog.flush();

    // A writer that dies mid-transaction: its records are on the log, aborted.
    const other = kafka.producer({ transactionalId: uniqueName('state-changelog-test'), idempotent: true, maxInFlightRequests: 1 });
    await other.connect();
    const transaction = await other.transaction();
    await transaction.send({ topic: topic.name, messages: [{ key: 'b', value: 'aborted' }, { key: 'c', value: 'aborted' }] });
    await transaction.abort();
    await other.disconnect();

    await changelog.record([{ key: 'b', value: null }, { key: 'd', value: '1' }]);
    await changelog.flush();
    expect(await changelog.isEmpty()).toBe(false);
    expect(await restored(changelog)).toEqual(new Map([['a', '2'], ['b', null], ['d', '1']]));
    // Its end marker is not state, and a second restore ends as exactly.
    expect(await restored(changelog)).toEqual(new Map([['a', '2'], ['b', null], ['d', '1']]));
  });

  it('tells its listener, after each commit, the batches it held and the topic end it left, which a disk compares at the next start', async () => {
    const topic = { ...Topics.streamerState, name: uniqueName('segment-streamer.state-test') };
    await ensureTopics(kafka, [topic], { service: 'segment-streamer' });
    const changelog = await open(topic.name);
    const commits: [number[], number][] = [];
    changelog.onCommit(async (batches, end) => void commits.push([batches, end]));
    // Large enough for several sends in one transaction.
    const big = 'x'.repeat(100 * 1024);
    await changelog.record([{ key: 'a', value: big }, { key: 'b', value: big }], 1);
    await changelog.record([{ key: 'c', value: big }], 2);
    await changelog.flush();
    await changelog.record([{ key: 'a', value: null }], 3);
    await changelog.flush();
    await changelog.flush();
    expect(commits.map(([batches]) => batches)).toEqual([[1, 2], [3]]);
    expect(commits[1][1]).toBe(await changelog.end());
    // Three records and a commit marker, then one record and its marker.
    expect(commits.map(([, end]) => end)).toEqual([4, 6]);
  });

  it("finds the records others committed after an offset, not those of a crashed run's transaction, open or aborted since", async () => {
    const topic = { ...Topics.streamerState, name: uniqueName('segment-streamer.state-test') };
    await ensureTopics(kafka, [topic], { service: 'segment-streamer' });
    const first = await open(topic.name);
    let seen = 0;
    first.onCommit(async (_, end) => void (seen = end));
    await first.record([{ key: 'a', value: '1' }]);
    await first.flush();

    // The run that crashed mid-flush: a transaction of the changelog's own id, neither committed nor aborted.
    const producer = (transactionalId: string) => kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    const crashed = producer(`segment-streamer.${topic.name}`);
    await crashed.connect();
    try {
      const left = await crashed.transaction();
      await left.send({ topic: topic.name, messages: [{ key: 'b', value: 'never committed', partition: 0 }] });

      const next = new StateChangelog(kafka, topic.name);
      opened.push(next);
      // While it is open, the topic ends (its last stable offset) where the crashed run's last commit left it.
      expect(await next.end()).toBe(seen);
      // Aborted (by the next start taking the transactional id, or by its timeout): the end moves past it, but nothing was committed.
      await next.connect();
      expect(await next.end()).toBeGreaterThan(seen);
      expect(await next.committedSince(seen)).toBe(false);

      const other = producer(uniqueName('state-changelog-test'));
      await other.connect();
      const transaction = await other.transaction();
      await transaction.send({ topic: topic.name, messages: [{ key: 'c', value: '1', partition: 0 }] });
      await transaction.commit();
      await other.disconnect();
      expect(await next.committedSince(seen)).toBe(true);
    } finally {
      await crashed.disconnect().catch(() => undefined);
    }
  });

  it('refuses a changelog topic of more than one partition, saying what to do', async () => {
    const name = uniqueName('segment-streamer.state-test');
    await ensureTopics(kafka, [{ ...Topics.streamerState, name, partitions: 2 }], { service: 'segment-streamer' });
    const changelog = await open(name);
    await expect(changelog.isEmpty()).rejects.toThrow(`the state changelog ${name} has 2 partitions; it must have exactly one: point STREAMER_STATE_TOPIC at a new topic`);
  });

  it('sends output in a transaction with the pending state, whole and in order; once another instance took the changelog, none', async () => {
    const topic = { ...Topics.streamerState, name: uniqueName('segment-streamer.state-test') };
    const output = uniqueName('changelog-output');
    await ensureTopics(kafka, [topic], { service: 'segment-streamer' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: output, numPartitions: 2 }] });
    await admin.disconnect();
    const first = await open(topic.name);
    const ends: number[] = [];
    first.onCommit(async (_, end) => void ends.push(end));
    // State of several sends' size, so the transaction takes more than one round.
    const big = 'x'.repeat(300 * 1024);
    // A batch waiting for the next transaction to carry its writes starts none itself.
    let carried = false;
    const waiting = first.nextCommit().then(() => (carried = true));
    await first.record([{ key: 'a', value: big }, { key: 'b', value: big }], 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(carried).toBe(false);
    await first.publish([{ topic: output, messages: [1, 2, 3].map((n) => ({ key: 'same', value: String(n) })) }]);
    await waiting;
    // Records at 0 and 1 (sent in two rounds), the commit marker at 2.
    expect(ends).toEqual([3]);
    // Another instance takes over: connecting fences this one, whose output is then refused.
    const second = await open(topic.name);
    // A batch waiting on that refused transaction is refused with it.
    const refused = first.nextCommit();
    await expect(first.publish([{ topic: output, messages: [{ key: 'same', value: 'stale' }] }])).rejects.toThrow();
    await expect(refused).rejects.toThrow();
    await second.publish([{ topic: output, messages: [{ key: 'same', value: '4' }] }]);

    const seen: string[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('changelog-output-reader') });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    try {
      await eventually(() => seen.length >= 4, 20000, 'the committed output read');
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen).toEqual(['1', '2', '3', '4']);
    } finally {
      await reader.disconnect();
    }
    expect([...(await restored(second)).keys()].sort()).toEqual(['a', 'b']);
  });
});
