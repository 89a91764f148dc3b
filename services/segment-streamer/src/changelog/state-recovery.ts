import { Logger } from '@nestjs/common';
import { LevelStore } from '../engine/level-store';
import { StateJournal } from '../engine/state-journal';
import { StateChangelog } from './state-changelog';
import { isCurrentCopy } from './state-follower';

export type Recovery = 'kept' | 'caught-up' | 'followed' | 'restored' | 'seeded';

/** What recovery needs of the changelog (StateChangelog; a map in its spec). */
export type Changelog = StateJournal & Pick<StateChangelog, 'topic' | 'isEmpty' | 'end' | 'committedSince' | 'restore' | 'flush'>;

/**
 * Brings the disk and the changelog together at start-up, before anything is consumed:
 * - state written before the changelog existed (no marker), or an empty changelog topic (deleted
 *   and made again, or another broker): the disk is copied to it, never emptied;
 * - a standby's copy (state-follower.ts) of the changelog up to an offset, followed recently enough
 *   that compaction cannot have dropped a deletion it lacks: what came since is read into it, to the end;
 * - nothing but this disk's writes reached the changelog since its last commit (the topic ends where
 *   the disk saw it end, or only aborted transactions followed: a crash's own, aborted when this
 *   run's producer started): the disk is kept. After a clean stop that is all; after a crash the disk may also
 *   hold writes the changelog lacks (the input was not committed past them, but a replay that finds
 *   its work done writes nothing), so the current values of the keys they wrote are sent first;
 * - otherwise (a fresh disk, another streamer wrote to the changelog, the disk is older than it,
 *   or the crash came between a commit and its record on disk): the disk is emptied and restored from the changelog.
 * The marker says `running` from here on, until a clean stop.
 */
export async function recoverState(store: LevelStore, changelog: Changelog, progress: (restored: number, atMost: number) => void): Promise<Recovery> {
  const logger = new Logger('StateRecovery');
  const marker = await store.marker();
  const hasState = await store.hasState();
  const seen = await store.changelogEnd();
  let recovery: Recovery;
  if (marker && hasState && (await changelog.isEmpty())) {
    // Whatever the disk's state, an empty changelog has nothing better: the disk is copied to it, never emptied.
    recovery = await seed(store, changelog, logger, `the changelog ${changelog.topic} is empty (deleted or new)`);
  } else if (marker?.state === 'seeding' || (!marker && hasState)) {
    if (!marker && !(await changelog.isEmpty())) {
      throw new Error(
        `STREAMER_STATE_DIR holds state written before the state changelog existed, and the changelog topic ${changelog.topic} is not empty: one of them belongs to another deployment. Point STREAMER_STATE_TOPIC at an empty topic to keep this state, or empty STREAMER_STATE_DIR to restore from the topic.`,
      );
    }
    recovery = await seed(store, changelog, logger, 'the state predates it');
  } else if (isCurrentCopy(marker) && seen !== undefined && seen <= (await changelog.end())) {
    const read = await changelog.restore((writes) => store.restore(writes), progress, seen);
    logger.log(`this standby's copy of the state read the ${read} records ${changelog.topic} got since offset ${seen}`);
    recovery = 'followed';
  } else if (marker && (await nothingElseWrote(seen, changelog))) {
    recovery = marker.state === 'clean' ? 'kept' : 'caught-up';
    if (recovery === 'caught-up') {
      const sent = await store.resendUnsent();
      await changelog.flush();
      logger.log(`the last run did not stop cleanly; nothing else wrote to ${changelog.topic} since, so the disk is kept and the ${sent} writes it may not have sent are sent again`);
    }
  } else {
    logger.log(marker ? `${changelog.topic} is not where this disk's last run left it (this disk saw its end at ${seen ?? 'no offset'}): restoring the state from it` : `no state on disk: restoring it from ${changelog.topic}`);
    await store.wipe();
    await store.setMarker({ state: 'running' });
    const started = Date.now();
    const restored = await changelog.restore((writes) => store.restore(writes), progress);
    logger.log(`state restored: ${restored} records in ${Date.now() - started} ms`);
    recovery = 'restored';
  }
  await store.setMarker({ state: 'running' });
  return recovery;
}

/** Whether only this disk's writes reached the changelog since `seen`, the end after its last commit. */
async function nothingElseWrote(seen: number | undefined, changelog: Changelog): Promise<boolean> {
  if (seen === undefined) return false;
  const end = await changelog.end();
  return end === seen || (end > seen && !(await changelog.committedSince(seen)));
}

async function seed(store: LevelStore, changelog: Changelog, logger: Logger, why: string): Promise<Recovery> {
  logger.log(`copying the state on disk to ${changelog.topic}: ${why}`);
  await store.setMarker({ state: 'seeding' });
  let n = 0;
  for await (const writes of store.entries(5000)) {
    await changelog.record(writes);
    n += writes.length;
  }
  await changelog.flush();
  logger.log(`state copied to the changelog: ${n} records`);
  return 'seeded';
}
