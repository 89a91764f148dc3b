import { KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isRetriable } from './topic-admin';

const protocol = (type: string, retriable: boolean) => new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as never);

describe('isRetriable (topic set-up)', () => {
  it.each(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'TOPIC_ALREADY_EXISTS', 'REQUEST_TIMED_OUT', 'NOT_CONTROLLER'])(
    'retries %s, which a moment on a new broker resolves',
    (type) => expect(isRetriable(protocol(type, false))).toBe(true),
  );

  it('retries what kafkajs marks retriable, and connection errors', () => {
    expect(isRetriable(protocol('SOMETHING_TRANSIENT', true))).toBe(true);
    expect(isRetriable(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
  });

  it('looks inside kafkajs retries that ran out and per-topic aggregates', () => {
    expect(isRetriable(new KafkaJSNumberOfRetriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION', true), { retryCount: 8, retryTime: 5000 }))).toBe(true);
    expect(isRetriable(new KafkaJSAggregateError('Topic creation errors', [protocol('TOPIC_ALREADY_EXISTS', false), protocol('UNKNOWN_TOPIC_OR_PARTITION', true)]))).toBe(true);
    expect(isRetriable(new KafkaJSAggregateError('Topic creation errors', [protocol('TOPIC_ALREADY_EXISTS', false), protocol('INVALID_REPLICATION_FACTOR', false)]))).toBe(false);
  });

  it('gives up at once on errors waiting cannot fix', () => {
    expect(isRetriable(protocol('INVALID_PARTITIONS', false))).toBe(false);
    expect(isRetriable(protocol('TOPIC_AUTHORIZATION_FAILED', false))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('Invalid topics array'))).toBe(false);
    expect(isRetriable(new Error('boom'))).toBe(false);
  });
});
