import { Topics } from '@audience-sync/contracts';

export const topics = [Topics.microsoftChanges, Topics.exportConfigs, Topics.runStatusFromMicrosoft, Topics.configAppliedByMicrosoft];
