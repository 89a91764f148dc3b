import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { Topics } from '@audience-sync/contracts';

export const configSchema = z.object({
  ...commonConfig,
  STREAMER_PORT: env.port(3001),
  /** LevelDB directory for membership state; keep it on a persistent volume. */
  STREAMER_STATE_DIR: z.string().min(1).default('.data/segment-streamer').describe('a directory for the membership state (LevelDB), kept across restarts'),
  /** The compacted topic the state is also written to, and restored from when the disk is lost. */
  STREAMER_STATE_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/)
    .default(Topics.streamerState.name)
    .describe('a Kafka topic name (letters, digits, . _ -) for the state changelog; its transactional id is segment-streamer.<topic>'),
  /** A profile out of every segment this long (by event time) has its attributes dropped. */
  STREAMER_PURGE_AFTER_DAYS: env.positiveInt(30),
  /** An incomplete refresh no part of which arrived this long (while an instance was active) is dropped. */
  STREAMER_ABANDON_REFRESH_AFTER_HOURS: env.positiveInt(24),
});
export type StreamerConfig = z.infer<typeof configSchema>;
