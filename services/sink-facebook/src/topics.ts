import { Topics } from '@audience-sync/contracts';

export const topics = [Topics.facebookChanges, Topics.exportConfigs, Topics.runStatusFromFacebook, Topics.configAppliedByFacebook];
