import { z } from 'zod';
import { env } from '@audience-sync/config';
import { commonConfig } from '@audience-sync/runtime';
import { topicConfig } from '@audience-sync/kafka';

export const configSchema = z.object({
  ...commonConfig,
  ...topicConfig,
  STREAMER_PORT: env.port(3001),
  /** LevelDB directory for membership state; keep it on a persistent volume. */
  STREAMER_STATE_DIR: z.string().min(1).default('.data/segment-streamer').describe('a directory for the membership state (LevelDB), kept across restarts'),
});
export type StreamerConfig = z.infer<typeof configSchema>;
