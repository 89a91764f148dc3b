import { Topics } from '@audience-sync/contracts';

export const topics = [Topics.audienceChanges, Topics.facebookChanges, Topics.microsoftChanges];
