/** Distinct reasons one summary line lists; the rest are counted together. */
const MAX_REASONS = 10;
/** A reason quotes field paths and what was wrong (see formatIssues); a summary keeps it short. */
const REASON_MAX_CHARS = 200;

/**
 * Counts dead-lettered messages by source topic and reason between summaries, so a stream of bad
 * input makes one log line per interval instead of one per message. Only counts, topics and
 * reasons (field paths and what was wrong, never values) are kept: nothing of the messages.
 */
export class DeadLetterTally {
  private counts = new Map<string, Map<string, number>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly report: (line: string) => void,
    private readonly intervalMs = 60000,
  ) {}

  add(topic: string, reasons: string[]): void {
    const byReason = this.counts.get(topic) ?? new Map<string, number>();
    this.counts.set(topic, byReason);
    for (const reason of reasons) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Reports what was counted since the last summary (nothing if nothing was); on stop too. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const line = summarise(this.counts, this.intervalMs);
    this.counts = new Map();
    if (line) this.report(line);
  }
}

function summarise(counts: Map<string, Map<string, number>>, intervalMs: number): string | undefined {
  const parts: string[] = [];
  let total = 0;
  for (const [topic, byReason] of counts) {
    const sorted = [...byReason].sort((a, b) => b[1] - a[1]);
    const listed = sorted.slice(0, MAX_REASONS).map(([reason, n]) => `${n} × ${clip(reason)}`);
    const others = sorted.slice(MAX_REASONS).reduce((sum, [, n]) => sum + n, 0);
    if (others > 0) listed.push(`${others} × ${sorted.length - MAX_REASONS} other reasons`);
    const count = sorted.reduce((sum, [, n]) => sum + n, 0);
    total += count;
    parts.push(`${topic}: ${count} (${listed.join('; ')})`);
  }
  if (total === 0) return undefined;
  return `dead-lettered ${total} message(s) within ${Math.round(intervalMs / 1000)} s, by source topic and reason: ${parts.join(' | ')}; the dead-letter topic holds them with the reason, partition and offset in headers`;
}

function clip(reason: string): string {
  return reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason;
}
