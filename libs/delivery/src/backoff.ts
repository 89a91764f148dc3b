export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Full-jitter exponential backoff: a random wait up to base·2^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return Math.round(Math.random() * Math.min(options.maxMs, options.baseMs * 2 ** attempt));
}

/** Waits, or rejects at once when the signal aborts (shutdown). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });
}

/** Provider messages may echo what was sent: digests and emails are cut out before they are shown or logged. */
export function redact(message: string): string {
  return message.replace(/\b[0-9a-fA-F]{32,}\b/g, '<redacted>').replace(/\S+@\S+/g, '<redacted>').slice(0, 500);
}
