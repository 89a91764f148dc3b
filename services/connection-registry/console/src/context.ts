import type { Session } from './api.js';

/** What a page gets: who is signed in, and a signal that aborts when the page is left (its polling stops). */
export interface PageContext {
  session: Session;
  signal: AbortSignal;
  isAdmin: boolean;
  /** The query of the console address, e.g. #/exports/new?connection=c-1. */
  query: URLSearchParams;
}

export type Page = (params: string[], ctx: PageContext) => Promise<Node>;

/** A message that survives one navigation ("Export saved."), shown on the next page. */
let pending: string | undefined;
export const flash = (message: string) => void (pending = message);
export function takeFlash(): string | undefined {
  const message = pending;
  pending = undefined;
  return message;
}

export const go = (hash: string) => void (location.hash = hash);
