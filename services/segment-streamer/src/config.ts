import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';

export const configSchema = z.object({
  ...commonConfig,
  STREAMER_PORT: env.port(3001),
  /** LevelDB directory for membership state; keep it on a persistent volume. */
  STREAMER_STATE_DIR: z.string().min(1).default('.data/segment-streamer').describe('a directory for the membership state (LevelDB), kept across restarts'),
  /** A profile out of every segment this long (by event time) has its attributes dropped. */
  STREAMER_PURGE_AFTER_DAYS: env.positiveInt(30),
});
export type StreamerConfig = z.infer<typeof configSchema>;
