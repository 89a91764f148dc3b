import { z } from 'zod';
import { erasureRequestSchema, segmentEventSchema } from './segment-events';
import { exportConfigSchema, runRequestSchema } from './export-config';
import { facebookChangeBatchSchema, microsoftChangeBatchSchema } from './audience-changes';
import { hashedSegmentEventSchema } from './hashed-events';
import { Destination } from './export-config';
import { runStatusSchema } from './run-status';
import { configAppliedSchema, PipelineStage } from './config-applied';

export interface TopicSpec<S extends z.ZodType = z.ZodType> {
  /** Versioned name; a breaking schema change gets a new version, not an edit. */
  name: string;
  schema: S;
  partitions: number;
  /** `compact` where the topic is a table keyed by its message key. */
  cleanupPolicy: 'delete' | 'compact';
  /** Largest record batch the broker accepts on this topic (refresh parts and change batches are big). */
  maxMessageBytes?: number;
  /** A tombstone (null value) is a valid message, meaning "this key was deleted". */
  tombstones: boolean;
  /** What the message key holds; it decides ordering. */
  key: string;
  /** The one service that produces it; `upstream` for the CDP's input. */
  writer: ServiceName | 'upstream';
  /** The services that consume it, in groups named `<service>` or `<service>.…`; Kafka ACLs let only them read it. */
  readers: readonly ServiceName[];
  /**
   * How long a record is kept (`retention.ms`; -1: until compaction replaces it). Topics holding
   * plain personal data keep it for PERSONAL_DATA_RETENTION_MS unless the operator sets another.
   */
  retentionMs: number;
  /** Holds plain personal data (the upstream topic, the hasher's dead letters): kept briefly. */
  personalData: boolean;
  /** Written in Kafka transactions (its writer needs a transactional id of its own, `<writer>.…`). */
  transactional?: boolean;
}

const HOUR = 60 * 60 * 1000;
/** Plain personal data: long enough to ride out a day's outage of the hasher, no longer. */
export const PERSONAL_DATA_RETENTION_MS = 24 * HOUR;
/**
 * Digests and run traffic: a sink holds an export's changes unread while its connection waits for
 * an admin to sign in again, so they must outlive a week-long wait (an admin on holiday); the
 * registry shows the connection as needing re-authentication all that time.
 */
export const PIPELINE_RETENTION_MS = 14 * 24 * HOUR;
/** Compacted tables keep each key's newest value for as long as the key lives. */
const FOREVER = -1;

/** 16 MB: a 50,000-member refresh part, or a batch of 5,000 changes, fits with room to spare. */
export const LARGE_MESSAGES = 16 * 1024 * 1024;

/** The broker's default `max.message.bytes`, which holds for a topic without `maxMessageBytes`. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1048588;

/** What a dead letter adds to the record it copies: its headers (the reason is capped) and framing. */
const DEAD_LETTER_HEADROOM = 64 * 1024;

export const serviceNames = ['connection-registry', 'segment-streamer', 'identifier-hasher', 'sink-facebook', 'sink-microsoft-ads'] as const;
export type ServiceName = (typeof serviceNames)[number];

function topic<S extends z.ZodType>(spec: TopicSpec<S>): TopicSpec<S> {
  return spec;
}

export const Topics = {
  segmentEvents: topic({
    name: 'segment-events.v1',
    schema: segmentEventSchema,
    partitions: 6,
    cleanupPolicy: 'delete',
    maxMessageBytes: LARGE_MESSAGES,
    tombstones: false,
    key: 'segmentId (profileId for profile events)',
    writer: 'upstream',
    readers: ['identifier-hasher'],
    retentionMs: PERSONAL_DATA_RETENTION_MS,
    personalData: true,
  }),
  hashedSegmentEvents: topic({
    name: 'segment-events.hashed.v1',
    schema: hashedSegmentEventSchema,
    partitions: 6,
    cleanupPolicy: 'delete',
    maxMessageBytes: LARGE_MESSAGES,
    tombstones: false,
    key: 'profileId, on its partition by the default partitioner; refresh slices: segmentId, on the partition of their members (hashEvent)',
    writer: 'identifier-hasher',
    readers: ['segment-streamer'],
    retentionMs: PIPELINE_RETENTION_MS,
    personalData: false,
  }),
  exportConfigs: topic({
    name: 'export-configs.v1',
    schema: exportConfigSchema,
    partitions: 1,
    cleanupPolicy: 'compact',
    tombstones: true,
    key: 'exportId',
    writer: 'connection-registry',
    readers: ['identifier-hasher', 'segment-streamer', 'sink-facebook', 'sink-microsoft-ads'],
    retentionMs: FOREVER,
    personalData: false,
  }),
  runRequests: topic({
    name: 'export-run-requests.v1',
    schema: runRequestSchema,
    partitions: 3,
    cleanupPolicy: 'delete',
    tombstones: false,
    key: 'exportId',
    writer: 'connection-registry',
    readers: ['segment-streamer'],
    retentionMs: PIPELINE_RETENTION_MS,
    personalData: false,
  }),
  erasureRequests: topic({
    name: 'profile-erasures.v1',
    schema: erasureRequestSchema,
    partitions: 1,
    cleanupPolicy: 'delete',
    tombstones: false,
    key: 'profileId',
    writer: 'connection-registry',
    readers: ['segment-streamer'],
    retentionMs: PIPELINE_RETENTION_MS,
    personalData: false,
  }),
  /**
   * The streamer's state, key for key as its store holds it (digests only), so a lost or replaced
   * disk is restored from here. The values are the store's own encoding, read back byte for byte
   * by the one service that wrote them, hence no schema of their own. Each flush is a transaction,
   * so a restore never sees half of a store write.
   */
  streamerState: topic({
    name: 'segment-streamer.state-changelog.v1',
    schema: z.unknown(),
    partitions: 1,
    cleanupPolicy: 'compact',
    maxMessageBytes: LARGE_MESSAGES,
    tombstones: true,
    key: 'the state key',
    writer: 'segment-streamer',
    readers: ['segment-streamer'],
    retentionMs: FOREVER,
    personalData: false,
    transactional: true,
  }),
  /**
   * Which streamer instance is active: every instance joins one group on this topic (per state
   * changelog) and the member holding its one partition does the work; the others stand by.
   * Nothing is written to it.
   */
  streamerLeadership: topic({
    name: 'segment-streamer.leadership.v1',
    schema: z.never(),
    partitions: 1,
    cleanupPolicy: 'delete',
    tombstones: false,
    key: 'none: nothing is written',
    writer: 'segment-streamer',
    readers: ['segment-streamer'],
    retentionMs: HOUR,
    personalData: false,
  }),
  facebookChanges: changesTopic('facebook-ads', 'sink-facebook', facebookChangeBatchSchema),
  microsoftChanges: changesTopic('microsoft-advertising', 'sink-microsoft-ads', microsoftChangeBatchSchema),
  runStatusFromStreamer: runStatusTopic('segment-streamer'),
  runStatusFromFacebook: runStatusTopic('sink-facebook'),
  runStatusFromMicrosoft: runStatusTopic('sink-microsoft-ads'),
  configAppliedByHasher: configAppliedTopic('identifier-hasher'),
  configAppliedByStreamer: configAppliedTopic('segment-streamer'),
  configAppliedByFacebook: configAppliedTopic('sink-facebook'),
  configAppliedByMicrosoft: configAppliedTopic('sink-microsoft-ads'),
} as const;

/** Each stage's reports of the export configuration versions it has applied, by stage. */
export const configAppliedTopics = {
  'identifier-hasher': Topics.configAppliedByHasher,
  'segment-streamer': Topics.configAppliedByStreamer,
  'sink-facebook': Topics.configAppliedByFacebook,
  'sink-microsoft-ads': Topics.configAppliedByMicrosoft,
} as const satisfies Record<PipelineStage, TopicSpec>;

/** The streamer's hashed changes for one destination's sink; the name derives from the destination id. */
function changesTopic<S extends z.ZodType>(destination: Destination, sink: ServiceName, schema: S): TopicSpec<S> {
  return topic({
    name: `audience-changes.${destination}.v1`,
    schema,
    partitions: 6,
    cleanupPolicy: 'delete',
    maxMessageBytes: LARGE_MESSAGES,
    tombstones: false,
    key: 'exportId/audienceKey',
    writer: 'segment-streamer',
    readers: [sink],
    retentionMs: PIPELINE_RETENTION_MS,
    personalData: false,
  });
}

/** Each destination's changes topic, by destination id. */
export const changesTopics = {
  'facebook-ads': Topics.facebookChanges,
  'microsoft-advertising': Topics.microsoftChanges,
} as const satisfies Record<Destination, TopicSpec>;

/** Each stage reports run progress on a topic of its own, so every topic has exactly one writer. */
function runStatusTopic(writer: ServiceName): TopicSpec<typeof runStatusSchema> {
  return topic({
    name: `run-status.${writer}.v1`,
    schema: runStatusSchema,
    partitions: 3,
    cleanupPolicy: 'delete',
    tombstones: false,
    key: 'runId',
    writer,
    readers: ['connection-registry'],
    retentionMs: PIPELINE_RETENTION_MS,
    personalData: false,
  });
}

/** Compacted: the newest report per export is kept, so the registry can always read where each stage is. */
function configAppliedTopic(writer: PipelineStage): TopicSpec<typeof configAppliedSchema> {
  return topic({
    name: `export-config-applied.${writer}.v1`,
    schema: configAppliedSchema,
    partitions: 3,
    cleanupPolicy: 'compact',
    tombstones: true,
    key: 'exportId',
    writer,
    readers: ['connection-registry'],
    retentionMs: FOREVER,
    personalData: false,
  });
}

/**
 * Messages a service's consumers could not accept, with the reason in headers; the value is the
 * original bytes. Whatever an input topic accepts must fit here, or the dead-letter send fails and
 * the partition stops, so the limit follows the largest topic (a consumer truncates what a
 * compressed input batch inflated beyond it).
 */
export function deadLetterTopic(service: ServiceName): TopicSpec<z.ZodUnknown> {
  const largestInput = Math.max(...Object.values(Topics).map((t: TopicSpec) => t.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
  return {
    name: `dead-letters.${service}.v1`,
    schema: z.unknown(),
    partitions: 1,
    cleanupPolicy: 'delete',
    maxMessageBytes: largestInput + DEAD_LETTER_HEADROOM,
    tombstones: true,
    key: 'the original key',
    writer: service,
    // Operators read dead letters; no service does.
    readers: [],
    // The hasher's input is the upstream topic: its dead letters are copies of plain personal data.
    retentionMs: service === 'identifier-hasher' ? PERSONAL_DATA_RETENTION_MS : PIPELINE_RETENTION_MS,
    personalData: service === 'identifier-hasher',
  };
}

export const DeadLetterHeaders = {
  reason: 'x-dead-letter-reason',
  sourceTopic: 'x-dead-letter-source-topic',
  sourcePartition: 'x-dead-letter-source-partition',
  sourceOffset: 'x-dead-letter-source-offset',
  consumerGroup: 'x-dead-letter-consumer-group',
  /** `true` when the value (and, past half the room, the key) was cut to fit the dead-letter topic. */
  truncated: 'x-dead-letter-truncated',
  /** The original value's size in bytes, on truncated copies. */
  originalSize: 'x-dead-letter-original-size',
} as const;

export type MessageOf<T extends TopicSpec> = z.infer<T['schema']>;
