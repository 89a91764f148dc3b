import type { Response } from 'express';

/** What a person reads at the end of a sign-in. Every value is escaped; tokens and personal data are never put on it. */
export interface SignInPage {
  ok: boolean;
  title: string;
  lines: string[];
  /** A way on from the page (back to the admin console). */
  link?: { text: string; href: string };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderSignInPage(page: SignInPage): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)} – audience-sync</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}h1{font-size:1.4rem}.ok{color:#0a6b2d}.failed{color:#a11}</style>',
    '</head><body>',
    `<h1 class="${page.ok ? 'ok' : 'failed'}">${escapeHtml(page.title)}</h1>`,
    ...page.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(page.link ? [`<p><a href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.text)}</a></p>`] : []),
    '</body></html>',
  ].join('\n');
}

/**
 * Sends the page. It may be reached with a code and state in its address, so it is not cached and
 * no Referer leaves it; it runs no script and loads nothing.
 */
export function sendSignInPage(res: Response, status: number, page: SignInPage): void {
  res
    .status(status)
    .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff' })
    .send(renderSignInPage(page));
}
