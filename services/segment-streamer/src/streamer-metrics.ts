import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HashedSegmentEvent, RunStatus } from '@audience-sync/contracts';
import { counter, gauge } from '@audience-sync/runtime';
import { ChangeBatch } from './engine/change-writer';

const profilesIn = counter({ name: 'streamer_profiles_total', help: 'Profiles in hashed segment events (a refresh part counts its members), by event type', labelNames: ['type'] });
const changesOut = counter({ name: 'streamer_changes_total', help: 'Audience changes written for the sinks, by export, destination and op (add, remove)', labelNames: ['export_id', 'destination', 'op'] });
const invalid = counter({ name: 'streamer_rows_invalid_total', help: 'Members of a run not sent, by reason (no-mapped-identifier, unusable-identifier)', labelNames: ['export_id', 'reason'] });

export function countEvents(events: readonly HashedSegmentEvent[]): void {
  for (const event of events) profilesIn.inc({ type: event.type }, event.type === 'refresh' ? event.members.length : 1);
}

export function countChanges(batches: readonly ChangeBatch[]): void {
  for (const { audience, changes } of batches) {
    let adds = 0;
    for (const change of changes) if (change.op === 'add') adds += 1;
    const labels = { export_id: audience.exportId, destination: audience.destination };
    if (adds > 0) changesOut.inc({ ...labels, op: 'add' }, adds);
    if (changes.length > adds) changesOut.inc({ ...labels, op: 'remove' }, changes.length - adds);
  }
}

const abandoned = counter({ name: 'streamer_refreshes_abandoned_total', help: 'Incomplete refreshes dropped because no part of them arrived for STREAMER_ABANDON_REFRESH_AFTER_HOURS (their other parts were lost upstream)' });

export function countAbandoned(refreshes: number): void {
  abandoned.inc(refreshes);
}

const restoredRecords = counter({ name: 'streamer_state_restored_records_total', help: 'State records restored from the changelog topic since start (a fresh disk, or after a crash)' });
const restoreRemaining = gauge({ name: 'streamer_state_restore_remaining_records', help: 'Changelog records at most left to restore; 0 once the restore is done or none was needed' });

const active = gauge({ name: 'streamer_active', help: '1 while this instance does the work, 0 while it stands by for another (one instance per state changelog is active)' });

export function countActive(is: boolean): void {
  active.set(is ? 1 : 0);
}

const standbyLag = gauge({ name: 'streamer_standby_lag_messages', help: 'About how many changelog records a standby has yet to read into its copy (commit markers inside count too); 0 when current and on the active instance' });

export function countStandbyLag(behind: number): void {
  standbyLag.set(behind);
}

const recovery = gauge({ name: 'streamer_state_recovery', help: 'How this run found its state at start, 1 for the one that applied: kept (clean stop), caught-up (crash; the disk kept), followed (the copy a standby kept, brought to its end), restored (from the changelog), seeded (the disk copied to it)', labelNames: ['how'] });

export function countRecovery(how: string): void {
  recovery.set({ how }, 1);
}

/** Restore progress (as readiness also shows it): records just restored, and at most how many are left. */
export function countRestore(added: number, remaining: number): void {
  restoredRecords.inc(added);
  restoreRemaining.set(remaining);
}

/** A run's drops, once, when it ends: its reports carry totals. */
export function countRunEnd(status: Pick<RunStatus, 'exportId' | 'state' | 'counts'>): void {
  if (status.state !== 'succeeded') return;
  for (const [reason, n] of Object.entries(status.counts.invalidByReason ?? {})) invalid.inc({ export_id: status.exportId, reason }, n);
}

/** The membership state's size on disk, read when Prometheus scrapes (LevelDB's files; a walk of one directory). */
export function measureState(dir: string): void {
  gauge({
    name: 'streamer_state_bytes',
    help: "Bytes of the streamer's membership state on disk (STREAMER_STATE_DIR)",
    collect() {
      this.set(directoryBytes(dir));
    },
  });
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
    } catch {
      // LevelDB compaction deletes files while we walk: a file gone is not counted.
    }
  }
  return total;
}
