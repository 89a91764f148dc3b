import { changesTopics, Topics, TopicSpec } from '@audience-sync/contracts';

export const topics = [Topics.hashedSegmentEvents, Topics.exportConfigs, Topics.runRequests, Topics.erasureRequests, ...Object.values(changesTopics), Topics.runStatusFromStreamer, Topics.configAppliedByStreamer, Topics.streamerState, Topics.streamerLeadership];

/** The topics with the state changelog under its configured name (STREAMER_STATE_TOPIC). */
export function topicsWithState(stateTopic: string): TopicSpec[] {
  return topics.map((t) => (t === Topics.streamerState ? { ...t, name: stateTopic } : t));
}
