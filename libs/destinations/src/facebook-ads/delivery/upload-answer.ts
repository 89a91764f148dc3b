/** What /users and /usersreplace answer (the fields the sink reads). */
export interface UploadAnswer {
  num_received?: number;
  num_invalid_entries?: number;
}

/**
 * The invalid rows of each request of an upload session. An answer counts the whole session so far
 * ("Number of invalid entries in the current session", Custom Audience Session reference:
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience-session), so a
 * request's own share is what the session's count grew by since the previous answer. A session this
 * process has not seen before (it restarted mid-session) gets the count it is told, at most the rows
 * it sent: never more invalid rows than rows, never a negative sent count.
 */
export class SessionTally {
  private readonly invalidSoFar = new Map<string, number>();

  invalidOf(sessionId: string, rows: number, answer: UploadAnswer): number {
    const total = answer.num_invalid_entries ?? 0;
    const own = Math.min(rows, Math.max(0, total - (this.invalidSoFar.get(sessionId) ?? 0)));
    this.invalidSoFar.set(sessionId, total);
    return own;
  }

  /** The session ended (its last batch was answered) or was given up. */
  forget(sessionId: string): void {
    this.invalidSoFar.delete(sessionId);
  }
}
