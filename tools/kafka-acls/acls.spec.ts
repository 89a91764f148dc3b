import { Topics, TopicSpec } from '@audience-sync/contracts';
import { topics as hasherTopics } from '../../services/identifier-hasher/src/topics';
import { topics as streamerTopics } from '../../services/segment-streamer/src/topics';
import { topics as registryTopics } from '../../services/connection-registry/src/topics';
import { aclsFor, describeAcl, KafkaPrincipal, principals, reads, writes } from './acls';

const rules = (p: KafkaPrincipal) => aclsFor(p).map(describeAcl);
const names = (specs: TopicSpec[]) => specs.map((t) => t.name).sort();

describe('aclsFor', () => {
  it('lets the hasher read the upstream topic and write only its own', () => {
    expect(rules('identifier-hasher').sort()).toEqual(
      [
        'User:identifier-hasher may read topic segment-events.v1',
        'User:identifier-hasher may describe topic segment-events.v1',
        'User:identifier-hasher may create topic segment-events.v1',
        // The operator's personal-data retention on the CDP's input is kept by its reader.
        'User:identifier-hasher may alter-configs topic segment-events.v1',
        'User:identifier-hasher may read topic export-configs.v1',
        'User:identifier-hasher may describe topic export-configs.v1',
        'User:identifier-hasher may create topic export-configs.v1',
        ...['segment-events.hashed.v1', 'export-config-applied.identifier-hasher.v1', 'dead-letters.identifier-hasher.v1'].flatMap((t) => ['write', 'describe', 'create', 'alter-configs'].map((op) => `User:identifier-hasher may ${op} topic ${t}`)),
        'User:identifier-hasher may read group identifier-hasher',
        'User:identifier-hasher may read group identifier-hasher.*',
        'User:identifier-hasher may idempotent-write cluster kafka-cluster',
      ].sort(),
    );
  });

  it('gives every topic exactly one writer and its readers read access, and no one else either', () => {
    for (const t of Object.values(Topics) as TopicSpec[]) {
      const writers = principals.filter((p) => rules(p).includes(`User:${p} may write topic ${t.name}`));
      expect([t.name, writers]).toEqual([t.name, [t.writer]]);
      for (const p of principals) {
        const mayRead = rules(p).includes(`User:${p} may read topic ${t.name}`);
        expect([t.name, p, mayRead]).toEqual([t.name, p, reads(p).includes(t)]);
      }
    }
  });

  it('never lets a sink touch the other destination\'s changes', () => {
    expect(rules('identifier-hasher').filter((r) => r.includes('audience-changes'))).toEqual([]);
    expect(rules('sink-facebook').filter((r) => r.includes(Topics.microsoftChanges.name))).toEqual([]);
    expect(rules('sink-microsoft-ads').filter((r) => r.includes(Topics.facebookChanges.name))).toEqual([]);
  });

  it('gives a transactional id only to the service that writes in transactions, named after it', () => {
    for (const p of principals) {
      const transactional = rules(p).filter((r) => r.includes('transactional-id'));
      expect(transactional).toEqual(p === 'segment-streamer' ? ['User:segment-streamer may write transactional-id segment-streamer.*', 'User:segment-streamer may describe transactional-id segment-streamer.*'] : []);
    }
  });

  it('lets upstream only write its input topic', () => {
    expect(rules('upstream')).toEqual(['User:upstream may write topic segment-events.v1', 'User:upstream may describe topic segment-events.v1', 'User:upstream may idempotent-write cluster kafka-cluster']);
  });

  it('covers exactly the topics each service sets up at start-up', () => {
    const setUp = (p: KafkaPrincipal) => names([...new Set([...writes(p), ...reads(p)])].filter((t) => !t.name.startsWith('dead-letters.')));
    expect(setUp('identifier-hasher')).toEqual(names(hasherTopics));
    expect(setUp('segment-streamer')).toEqual(names(streamerTopics));
    expect(setUp('connection-registry')).toEqual(names(registryTopics));
    expect(setUp('sink-facebook')).toEqual(names([Topics.facebookChanges, Topics.exportConfigs, Topics.runStatusFromFacebook, Topics.configAppliedByFacebook]));
  });
});
