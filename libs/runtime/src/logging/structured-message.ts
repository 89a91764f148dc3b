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

export type LogFields = Record<string, string | number | boolean | undefined>;

/** A message with fields; loggers built by ServiceLogger render them (JSON fields, or a suffix in text). */
export class StructuredMessage {
  readonly fields: Readonly<Record<string, string | number | boolean>>;

  constructor(
    fields: LogFields,
    readonly text: string,
  ) {
    this.fields = Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== ''));
  }

  /** For a human reader (LOG_FORMAT=text) and any logger that only knows strings. */
  toString(): string {
    const fields = Object.entries(this.fields).map(([key, value]) => `${key}=${value}`);
    return fields.length > 0 ? `${this.text} [${fields.join(' ')}]` : this.text;
  }
}

/** `logger.warn(withIds({ exportId, runId }, 'failed: …'))` — the ids become fields of the line. */
export const withIds = (ids: LogIds, text: string): StructuredMessage => new StructuredMessage({ ...ids }, text);
