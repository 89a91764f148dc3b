import { ExportConfig } from '@audience-sync/contracts';
import { sleep } from './backoff';

/** How long a batch of an export the table has never seen waits for its config before it counts as deleted. */
const UNSEEN_EXPORT_WAIT_MS = 60_000;

/**
 * The sinks' view of the export-config table. A deleted export is gone: nothing more is sent for
 * it. An export whose connection needs re-authentication, or that carries a problem an admin must
 * fix, waits here, keeping its changes.
 */
export class ExportTable {
  private readonly configs = new Map<string, ExportConfig>();
  private readonly deleted = new Set<string>();
  /** The newest config version that carried a problem, per export (since this process started). */
  private readonly problemVersions = new Map<string, number>();
  /** How many configs (or deletions) of each export the table has applied, so a wait can tell that a newer one came. */
  private readonly applied = new Map<string, number>();

  apply(exportId: string, config: ExportConfig | null): void {
    this.applied.set(exportId, this.appliedCount(exportId) + 1);
    if (config) {
      this.configs.set(exportId, config);
      this.deleted.delete(exportId);
      if (config.problem) this.problemVersions.set(exportId, Math.max(config.version, this.problemVersions.get(exportId) ?? 0));
    } else {
      this.configs.delete(exportId);
      this.deleted.add(exportId);
      this.problemVersions.delete(exportId);
    }
  }

  appliedCount(exportId: string): number {
    return this.applied.get(exportId) ?? 0;
  }

  get(exportId: string): ExportConfig | undefined {
    return this.configs.get(exportId);
  }

  /**
   * Whether changes made under this version were held by a problem the admin has since fixed:
   * they belong to the export, so they go to the audience its fixed config names.
   */
  heldByProblem(exportId: string, version: number): boolean {
    return version <= (this.problemVersions.get(exportId) ?? 0);
  }

  /**
   * Resolves with the live config once it is at least `version` (the registry may publish a config
   * the streamer sees before this table does), its connection is usable and it carries no problem;
   * or undefined when the export is (or becomes) deleted. Heartbeats while it waits.
   */
  async whenDeliverable(exportId: string, version: number, heartbeat: () => Promise<void>, signal: AbortSignal): Promise<ExportConfig | undefined> {
    const unseenUntil = Date.now() + UNSEEN_EXPORT_WAIT_MS;
    for (;;) {
      const config = this.configs.get(exportId);
      if (config ? config.version >= version && config.connectionState === 'active' && !config.problem : this.deleted.has(exportId) || Date.now() > unseenUntil) return config;
      await heartbeat().catch(() => undefined);
      await sleep(500, signal);
    }
  }
}
