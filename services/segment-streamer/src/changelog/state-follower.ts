import { Logger } from '@nestjs/common';
import { LevelStore } from '../engine/level-store';
import { StoreMarker } from '../engine/state-journal';
import { StateChangelog } from './state-changelog';

/**
 * How long a standby's copy stays good while nothing follows the changelog into it: well under
 * Kafka's default `delete.retention.ms` (24 h), after which compaction may drop deletions the copy
 * never read. An older copy is emptied and the changelog read again from its start.
 */
export const STANDBY_COPY_LIFETIME_MS = 12 * 60 * 60 * 1000;
const MARK_EVERY_MS = 60 * 1000;

/** Whether the disk is a standby's copy of the changelog that may be read on from its offset. */
export function isCurrentCopy(marker: StoreMarker | undefined, now = Date.now()): boolean {
  return marker?.state === 'standby' && (marker.at ?? 0) > now - STANDBY_COPY_LIFETIME_MS;
}

export interface Following {
  stop(): Promise<void>;
}

export interface FollowOptions {
  now?: () => number;
  /**
   * Told about how many records the copy has yet to read (changelog offsets, less the commit marker
   * that ends the topic; markers within count too), at start, every `lagEveryMs`, and 0 once stopped.
   */
  lag?: (behind: number) => void;
  lagEveryMs?: number;
}

/**
 * A standby keeps its disk a copy of the changelog, so that taking over reads only what came since
 * (state-recovery.ts, `followed`) instead of the whole topic. It goes on from where its disk stands
 * when that is a copy of the changelog up to a known offset (its own earlier standby copy, recent
 * enough, or the disk of a run that stopped cleanly when nothing was written since); otherwise
 * the disk is emptied and the topic read from its start, while the active instance works.
 */
export async function followState(store: LevelStore, changelog: StateChangelog, { now = Date.now, lag = () => undefined, lagEveryMs = 10_000 }: FollowOptions = {}): Promise<Following> {
  const logger = new Logger('StateFollower');
  const marker = await store.marker();
  const seen = await store.changelogEnd();
  const end = await changelog.end();
  const copy = isCurrentCopy(marker, now()) ? seen !== undefined && seen <= end : marker?.state === 'clean' && seen === end;
  const from = copy ? seen : undefined;
  if (from === undefined) await store.wipe();
  const mark = () => store.setMarker({ state: 'standby', at: now() });
  await mark();
  logger.log(from === undefined ? `standing by: copying the state from the start of ${changelog.topic}` : `standing by: following ${changelog.topic} from offset ${from}`);
  // While following, the copy is current however quiet the changelog: the time says so.
  const timer = setInterval(() => void mark().catch(() => undefined), MARK_EVERY_MS);
  let position = from ?? 0;
  const following = await changelog.follow(from, async (writes, next) => {
    await store.restore(writes, next);
    position = next;
  });
  // Every transaction ends in a commit marker, which takes an offset after the last record read.
  const behind = (end: number) => Math.max(0, end - position - 1);
  lag(behind(end));
  const lagTimer = setInterval(() => void changelog.end().then((e) => lag(behind(e)), () => undefined), lagEveryMs);
  return {
    async stop() {
      clearInterval(timer);
      clearInterval(lagTimer);
      await following.stop();
      await mark();
      lag(0);
    },
  };
}
