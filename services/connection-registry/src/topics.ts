import { configAppliedTopics, Topics } from '@audience-sync/contracts';

/** Topics the registry writes (configs, run requests, erasures) and reads (run status and applied configs from each stage). */
export const topics = [Topics.exportConfigs, Topics.runRequests, Topics.erasureRequests, Topics.runStatusFromStreamer, Topics.runStatusFromFacebook, Topics.runStatusFromMicrosoft, ...Object.values(configAppliedTopics)];
