import { Topics } from '@audience-sync/contracts';

export const topics = [Topics.segmentEvents, Topics.exportConfigs, Topics.runRequests, Topics.audienceChanges, Topics.runStatusFromStreamer, Topics.configAppliedByStreamer];
