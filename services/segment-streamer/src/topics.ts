import { changesTopics, Topics } from '@audience-sync/contracts';

export const topics = [Topics.hashedSegmentEvents, Topics.exportConfigs, Topics.runRequests, Topics.erasureRequests, ...Object.values(changesTopics), Topics.runStatusFromStreamer, Topics.configAppliedByStreamer];
