/**
 * The ids a line can be about. Only ids: never personal data, never a secret. The JSON format
 * writes them as fields of their own, so `exportId == "…"` finds every line about one export.
 */
export interface LogIds {
  runId?: string;
  exportId?: string;
  connectionId?: string;
  audienceId?: string;
}

/** A message with the ids it is about; loggers built by serviceLogger render it (fields in JSON, a suffix in text). */
export class IdentifiedMessage {
  readonly ids: LogIds;

  constructor(
    ids: LogIds,
    readonly text: string,
  ) {
    this.ids = Object.fromEntries(Object.entries(ids).filter(([, value]) => value !== undefined && value !== ''));
  }

  /** For a human reader (LOG_FORMAT=text) and any logger that only knows strings. */
  toString(): string {
    const ids = Object.entries(this.ids).map(([key, value]) => `${key}=${value}`);
    return ids.length > 0 ? `${this.text} [${ids.join(' ')}]` : this.text;
  }
}

/** `logger.warn(withIds({ exportId, runId }, 'failed: …'))` — the ids become fields of the line. */
export const withIds = (ids: LogIds, text: string): IdentifiedMessage => new IdentifiedMessage(ids, text);
