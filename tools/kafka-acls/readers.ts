import { ServiceName, Topics } from '@audience-sync/contracts';

/**
 * Which services consume each topic, as they subscribe today (their `@ConsumeBatches` handlers and
 * table readers). It belongs beside `writer` in the contracts' topic table; until it is there, a
 * topic added to the table without an entry here is a compile error. Dead letters have no reader
 * among the services: operators read them.
 */
export const readers: Record<keyof typeof Topics, ServiceName[]> = {
  segmentEvents: ['identifier-hasher'],
  hashedSegmentEvents: ['segment-streamer'],
  exportConfigs: ['identifier-hasher', 'segment-streamer', 'sink-facebook', 'sink-microsoft-ads'],
  runRequests: ['segment-streamer'],
  erasureRequests: ['segment-streamer'],
  facebookChanges: ['sink-facebook'],
  microsoftChanges: ['sink-microsoft-ads'],
  runStatusFromStreamer: ['connection-registry'],
  runStatusFromFacebook: ['connection-registry'],
  runStatusFromMicrosoft: ['connection-registry'],
  configAppliedByHasher: ['connection-registry'],
  configAppliedByStreamer: ['connection-registry'],
  configAppliedByFacebook: ['connection-registry'],
  configAppliedByMicrosoft: ['connection-registry'],
};
