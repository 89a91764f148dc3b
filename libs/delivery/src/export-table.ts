import { ExportConfig } from '@audience-sync/contracts';
import { sleep } from './backoff';

/**
 * The sinks' view of the export-config table. A deleted export is gone: nothing more is sent for
 * it. An export whose connection needs re-authentication waits here, keeping its changes.
 */
export class ExportTable {
  private readonly configs = new Map<string, ExportConfig>();

  apply(exportId: string, config: ExportConfig | null): void {
    if (config) this.configs.set(exportId, config);
    else this.configs.delete(exportId);
  }

  get(exportId: string): ExportConfig | undefined {
    return this.configs.get(exportId);
  }

  /**
   * Resolves with the live config once its connection is usable, or undefined when the export is
   * (or becomes) deleted; heartbeats while it waits.
   */
  async whenDeliverable(exportId: string, heartbeat: () => Promise<void>, signal: AbortSignal): Promise<ExportConfig | undefined> {
    for (;;) {
      const config = this.configs.get(exportId);
      if (!config || config.connectionState === 'active') return config;
      await heartbeat().catch(() => undefined);
      await sleep(500, signal);
    }
  }
}
