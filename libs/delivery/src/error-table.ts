/**
 * What the shared call loop (ApiClient) does itself with a failed answer: try again after a backoff
 * (counted against SINK_MAX_ATTEMPTS), wait out a rate limit (not counted), fetch a fresh token and
 * try once more (then as `re-authenticate`), or report the credentials to the registry and stop.
 */
export type LoopAction = 'retry' | 'throttle' | 'refresh-token' | 're-authenticate';

/**
 * Every action a destination's error table may name. `terms` (the account has not accepted the
 * platform's terms) the loop ends itself with TermsNotAccepted: the run fails and the registry shows
 * the connection's problem until an admin confirms the terms are accepted. What else the loop does
 * not do it hands to the destination's delivery, as an ApiError carrying the rule: `fail` (no retry
 * fixes it: the run fails), `audience-gone`, or one of the destination's own (`Own`, e.g.
 * replace-session rules).
 */
export type ErrorAction<Own extends string = never> = LoopAction | 'terms' | 'fail' | 'audience-gone' | Own;

/** One error of an answer as the table sees it. */
export interface ErrorCode {
  code?: number;
  subcode?: number;
  message?: string;
}

/** What is done with an answer. */
export interface Handling<A extends string> {
  action: A;
  /** For `fail`: the run's message, saying what to do; for `re-authenticate` and `terms`: also the problem the registry shows. */
  message?: string;
}

/**
 * One row of an error table. It matches an answer by an error's code (and subcode, when given; a
 * rule with only a subcode matches it under any code; a rule with a `wording` pattern only an error
 * whose message matches it: for errors a platform documents by code and wording but not by
 * subcode), or by the answer's HTTP status (`server-error`: any 5xx).
 */
export type ErrorRule<A extends string> = Handling<A> & ({ code: number; subcode?: number; wording?: RegExp } | { subcode: number } | { status: number | 'server-error' });

/** Ordered as the rules should win: an answer is handled by the FIRST rule any of its errors matches. */
export type ErrorTable<A extends string> = readonly ErrorRule<A>[];

/** What an answer no rule matches gets: the run fails with the platform's (redacted) message. */
export const UNLISTED: Handling<'fail'> = { action: 'fail' };

function matches(rule: ErrorRule<string>, errors: readonly ErrorCode[], status: number): boolean {
  if ('status' in rule) return rule.status === 'server-error' ? status >= 500 : rule.status === status;
  const pattern = 'wording' in rule ? rule.wording : undefined;
  return errors.some((e) => ('code' in rule ? e.code === rule.code : true) && (rule.subcode === undefined || e.subcode === rule.subcode) && (!pattern || pattern.test(e.message ?? '')));
}

/** The rule that handles an answer with these errors and HTTP status. */
export function classify<A extends string>(table: ErrorTable<A>, errors: readonly ErrorCode[], status: number): Handling<A | 'fail'> {
  return table.find((rule) => matches(rule, errors, status)) ?? UNLISTED;
}
