import { Topics } from '@audience-sync/contracts';

export const topics = [Topics.segmentEvents, Topics.exportConfigs, Topics.hashedSegmentEvents, Topics.configAppliedByHasher];
