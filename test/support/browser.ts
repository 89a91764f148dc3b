import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { projectRoot } from '../../deploy/local/paths';
import { provideChromium } from './chromium';

/**
 * Headless Debian Chromium driven by playwright-core. The flags keep it off the network it cannot
 * reach here (background updates, sync, QUIC): without them it keeps dialling Google's hosts.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await provideChromium((line) => process.stdout.write(`[chromium] ${line}\n`));
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export const WIDE = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** The README's screenshots of the console, rewritten by every run of its browser tests so they stay current. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(projectRoot(), 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Whether the page scrolls sideways at its current width: a layout break. */
export const overflowsSideways = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth + 1');

/** Waits until an element matching `selector` shows `text` (playwright-core has no expect of its own). */
export async function shows(page: Page, selector: string, text: string | RegExp, timeout = 15000): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout });
}
