import { z } from 'zod';

/**
 * The environment of the topics a service sets up; every service spreads it into its config
 * schema and passes it to KafkaModule.forRoot, so whichever service sets a topic up applies the same.
 */
export const topicConfig = {
  /** Unset: topics holding plain personal data keep it for their spec's retention (24 h). */
  PERSONAL_DATA_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .optional()
    .describe('a positive number of hours to keep plain personal data on segment-events.v1 and the hasher\'s dead letters, e.g. 24'),
};
