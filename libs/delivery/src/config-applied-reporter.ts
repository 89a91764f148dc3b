import { Logger } from '@nestjs/common';
import { ConfigApplied, PipelineStage } from '@audience-sync/contracts';
import { backoffDelay } from './backoff';

/** Sends reports keyed by export id; null (a tombstone) once the export's deletion is applied. */
export type SendReports = (messages: { key: string; value: ConfigApplied | null }[]) => Promise<void>;

/**
 * Tells the registry which configuration version of each export a stage has applied, so the export
 * can show when the pipeline follows what was saved. Call it after applying: a report never gets
 * ahead of the stage. Reports are coalesced (a table read at start applies every export at once)
 * and the newest per export wins; a failed send is retried until a newer report replaces it. Not
 * kept across restarts: the stage applies the whole table again at start and so reports again.
 */
export class ConfigAppliedReporter {
  private readonly logger = new Logger(ConfigAppliedReporter.name);
  private readonly pending = new Map<string, number | null>();
  private sending = false;

  constructor(
    private readonly stage: PipelineStage,
    private readonly send: SendReports,
  ) {}

  applied(exportId: string, version: number | null): void {
    this.pending.set(exportId, version);
    if (!this.sending) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    for (let attempt = 0; this.pending.size > 0; ) {
      const batch = [...this.pending];
      this.pending.clear();
      try {
        await this.send(batch.map(([exportId, version]) => ({ key: exportId, value: version === null ? null : { exportId, stage: this.stage, version } })));
        attempt = 0;
      } catch (error) {
        for (const [exportId, version] of batch) if (!this.pending.has(exportId)) this.pending.set(exportId, version);
        this.logger.warn(`reporting applied export configurations failed, retrying: ${(error as Error).message}`);
        // Unref'd: a report still waiting must not hold a stopping process open.
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt++, { baseMs: 200, maxMs: 10_000 })).unref());
      }
    }
    this.sending = false;
  }
}
