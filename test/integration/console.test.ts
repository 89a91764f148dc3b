import { Browser, BrowserContext, Page } from 'playwright-core';
import { SegmentEvent } from '@audience-sync/contracts';
import { Stack } from '../support/stack';
import { eventually, uniqueName } from '../support/env';
import { launchBrowser, overflowsSideways, PHONE, screenshot, shows, WIDE } from '../support/browser';

/**
 * The admin console in a real browser against the whole product: the emulators' OAuth, the
 * pipeline, the audiences at the emulated platforms. What an admin does in the seeds, by clicking.
 */
describe('admin console in the browser', () => {
  const stack = new Stack();
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let clock = Date.parse('2026-11-20T00:00:00Z');
  const profiles = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ profileId: `${prefix}-${i}`, attributes: { PrimaryEmail: `${prefix}${i}@example.com`, MobilePhone: `+47 9${String(1000000 + i)}` } }));
  const refresh = (segmentId: string, members: ReturnType<typeof profiles>): SegmentEvent[] => {
    const refreshId = uniqueName('r');
    return [{ type: 'refresh', eventId: `${refreshId}-1`, occurredAt: new Date((clock += 1000)).toISOString(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members }];
  };

  async function signIn(target: Page, key: string): Promise<void> {
    await target.goto(stack.registryUrl);
    await target.getByLabel('API key').fill(key);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { name: 'Connections' }).waitFor();
  }

  /** Add connection: name, destination, sharing, consent; then the provider's sign-in, back in the console. */
  async function addConnection(name: string, destination: 'Facebook Ads' | 'Microsoft Advertising', usableBy: 'Administrators only' | 'Administrators and contributors'): Promise<string> {
    await page.goto(`${stack.registryUrl}/#/connections`);
    await page.getByRole('link', { name: 'Add connection' }).click();
    await page.getByLabel('Display name').fill(name);
    await page.getByLabel(destination).check();
    await page.getByLabel('Who may use it').selectOption({ label: usableBy });
    await page.getByLabel('I agree').check();
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('heading', { name }).waitFor();
    return decodeURIComponent(new URL(page.url()).hash.replace('#/connections/', ''));
  }

  async function runAndWait(expectedSent: number): Promise<void> {
    await page.getByRole('button', { name: 'Run now' }).click();
    // The history updates itself while the run is in progress: no reload here.
    const row = page.locator('table.runs tbody tr:first-child[data-state="succeeded"]');
    await row.waitFor({ timeout: 60000 });
    expect(await row.locator('[data-count="sent"]').innerText()).toBe(String(expectedSent));
  }

  beforeAll(async () => {
    await stack.start();
    browser = await launchBrowser();
    admin = await browser.newContext({ viewport: WIDE });
    page = await admin.newPage();
  }, 300000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('signs in with an API key, and says so when the key is wrong', async () => {
    await page.goto(stack.registryUrl);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-key-not-a-key-not-a-key');
    await page.keyboard.press('Enter');
    await shows(page, '[role=alert]', 'not valid');
    await signIn(page, stack.adminKey);
    await page.getByText('alice (administrator)').waitFor();
  });

  it('Facebook: consent, sign-in through the provider, a new audience, an export, a run with its counts', async () => {
    const name = uniqueName('Facebook EU shop');
    await page.goto(`${stack.registryUrl}/#/connections/new`);
    await page.getByLabel('Display name').fill(name);
    await page.getByLabel('Facebook Ads').check();
    await screenshot(page, 'add-connection');
    // Without "I agree" the API refuses, and the console says so at the box.
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await shows(page, '.field-error', 'I agree');
    await page.getByLabel('I agree').check();
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('heading', { name }).waitFor();
    await shows(page, '.status-line', 'Choose an audience');

    await page.getByLabel('Ad account').selectOption('act_1001');
    const audienceName = uniqueName('Newsletter');
    await page.getByLabel('A new customer list named').check();
    await page.getByLabel('New list name').fill(audienceName);
    await page.getByRole('button', { name: 'Use this audience' }).click();
    await shows(page, '.status-line', 'Connected');
    await screenshot(page, 'connection');

    const segment = uniqueName('newsletter');
    await page.getByRole('link', { name: 'Add export' }).click();
    await page.getByLabel('Display name').fill('Newsletter to Facebook');
    await page.getByLabel('Segment 1 id').fill(segment);
    await page.getByLabel('Segment 1 name').fill('Newsletter');
    await page.getByLabel('Profile attribute for Email').fill('PrimaryEmail');
    await page.getByLabel('Profile attribute for Phone').fill('MobilePhone');
    await shows(page, 'p.filled', /^Facebook keys filled: Email, Phone\.$/);
    await screenshot(page, 'export-form');
    await page.getByRole('button', { name: 'Save export' }).click();
    await page.getByRole('heading', { name: 'Newsletter to Facebook' }).waitFor();
    const exportId = decodeURIComponent(new URL(page.url()).hash.replace('#/exports/', ''));
    const saved = (await stack.api('GET', `/exports/${exportId}`)).body;
    await stack.untilActive(exportId, saved.version);

    await stack.publish(refresh(segment, profiles(30, 'fb')));
    const audienceId = saved.facebook.audience.audienceId as string;
    await eventually(async () => (await stack.facebookMembers(audienceId)).length === 30, 60000, 'the refresh to reach Facebook');
    await runAndWait(30);

    // A dry run says what a full sync would do, and sends nothing.
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('table.runs tbody tr:first-child[data-state="succeeded"]', { hasText: 'dry-run by alice' }).waitFor({ timeout: 60000 });
    await shows(page, 'table.runs tbody tr:first-child', 'would add 0, remove 0, keep 30');
    await screenshot(page, 'export-runs');

    // Paused, a run is refused where it was asked for; resumed, a full sync catches up.
    await page.getByRole('button', { name: 'Pause' }).click();
    await shows(page, '.badge', 'Paused');
    await page.getByRole('button', { name: 'Run now' }).click();
    await shows(page, '[role=alert]', 'is paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await shows(page, '.notice', 'Resumed');
    await page.locator('table.runs tbody tr:first-child[data-state="succeeded"]', { hasText: 'on-demand by alice' }).waitFor({ timeout: 60000 });
    expect(await stack.facebookMembers(audienceId)).toHaveLength(30);
    // Nothing personal and no secret on the page: counts and digests' owners only.
    const html = await page.content();
    expect(html).not.toMatch(/fb\d+@example\.com|\+47/);
    expect(html).not.toContain(stack.adminKey);
  });

  it('Microsoft: a connection shared with contributors, an export by customer and account, a run with its counts', async () => {
    const name = uniqueName('Microsoft shop');
    await addConnection(name, 'Microsoft Advertising', 'Administrators and contributors');
    await shows(page, '.status-line', 'Connected');
    await page.getByRole('link', { name: 'Add export' }).click();
    const segment = uniqueName('buyers');
    await page.getByLabel('Display name').fill('Buyers to Microsoft');
    await page.getByLabel('Segment 1 id').fill(segment);
    await page.getByLabel('Segment 1 name').fill(segment);
    await page.getByLabel('Customer id').fill('1000001');
    await page.getByLabel('Account id').fill('2000001');
    await page.getByLabel('Profile attribute holding the email').fill('PrimaryEmail');
    await shows(page, 'p.filled', 'filled (PrimaryEmail)');
    await page.getByRole('button', { name: 'Save export' }).click();
    await page.getByRole('heading', { name: 'Buyers to Microsoft' }).waitFor();
    const exportId = decodeURIComponent(new URL(page.url()).hash.replace('#/exports/', ''));
    await stack.untilActive(exportId, (await stack.api('GET', `/exports/${exportId}`)).body.version);
    await stack.publish(refresh(segment, profiles(12, 'ms')));
    await eventually(async () => (await stack.microsoftMembers(segment))?.length === 12, 60000, 'the refresh to reach Microsoft');
    await runAndWait(12);
  });

  it('a contributor sees only the connections shared with them', async () => {
    const hidden = uniqueName('Admins only');
    await addConnection(hidden, 'Microsoft Advertising', 'Administrators only');
    const context = await browser.newContext({ viewport: WIDE });
    const contributor = await context.newPage();
    await signIn(contributor, stack.contributorKey);
    await contributor.getByText('bob (contributor)').waitFor();
    await contributor.getByRole('link', { name: /Microsoft shop/ }).waitFor();
    expect(await contributor.getByText(hidden).count()).toBe(0);
    expect(await contributor.getByRole('link', { name: 'Add connection' }).count()).toBe(0);
    await screenshot(contributor, 'contributor-connections');
    await context.close();
  });

  it('an expired token shows as "needs re-authentication" and is fixed by signing in again from the console', async () => {
    await fetch(`${stack.emulators.facebook.url}/_emulator/tokens/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Newsletter to Facebook' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    // The sink meets the expired token and reports it; the connection list shows it.
    await page.goto(`${stack.registryUrl}/#/connections`);
    await eventually(async () => {
      await page.reload();
      await page.locator('table').waitFor();
      return (await page.locator('.badge', { hasText: 'Needs re-authentication' }).count()) === 1;
    }, 60000, 'the connection to need re-authentication');
    await screenshot(page, 'connections');
    await page.getByRole('button', { name: 'Sign in with Facebook again' }).click();
    await page.getByRole('heading', { name: /Facebook EU shop/ }).waitFor();
    await shows(page, '.status-line', 'Connected');
    // The run that met the expired token finishes once signed in again.
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Newsletter to Facebook' }).click();
    await page.locator('table.runs tbody tr:first-child[data-state="succeeded"]').waitFor({ timeout: 60000 });
  });

  it('terms not accepted at the platform show on the connection, and confirming them there syncs its exports again', async () => {
    const account = (termsAccepted: boolean) => fetch(`${stack.emulators.facebook.url}/_emulator/accounts/1001`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsAccepted }) });
    await account(false);
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Newsletter to Facebook' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('table.runs tbody tr:first-child[data-state="failed"]', { hasText: 'custom audience terms are not accepted' }).waitFor({ timeout: 60000 });
    await page.goto(`${stack.registryUrl}/#/connections`);
    await page.getByRole('link', { name: /Facebook EU shop/ }).click();
    await shows(page, '.status-line', 'Terms not accepted');
    await shows(page, '.status-line', 'accept them in Facebook Ads Manager');
    await screenshot(page, 'connection-terms');
    await account(true);
    await page.getByRole('button', { name: 'The terms are accepted now' }).click();
    await shows(page, '.notice', 'Confirmed: 1 export syncs again.');
    await shows(page, '.status-line', 'Connected');
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Newsletter to Facebook' }).click();
    await page.locator('table.runs tbody tr:first-child[data-state="succeeded"]').waitFor({ timeout: 60000 });
  });

  it('edits an export, shares and renames a connection, deletes after saying what stops, signs out', async () => {
    // Edit: another name and a second segment; the answer's full sync shows in the history.
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Buyers to Microsoft' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Display name').fill('Buyers and VIPs to Microsoft');
    await page.getByRole('button', { name: 'Add segment' }).click();
    await page.getByLabel('Segment 2 id').fill(uniqueName('vip'));
    // A row with a name but no id: the API's error lands on that row's id, also after a row above it went.
    await page.getByRole('button', { name: 'Add segment' }).click();
    await page.getByRole('button', { name: 'Add segment' }).click();
    await page.getByLabel('Segment 4 name').fill('No id yet');
    await page.getByRole('button', { name: 'Remove' }).nth(2).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('[aria-invalid="true"][aria-label="Segment 3 id"]').waitFor();
    await page.getByRole('button', { name: 'Remove' }).nth(2).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Buyers and VIPs to Microsoft' }).waitFor();
    await shows(page, '.notice', 'Export saved');

    // Share the administrators-only connection; the contributor then sees it.
    await page.goto(`${stack.registryUrl}/#/connections`);
    await page.getByRole('link', { name: /Admins only/ }).click();
    await page.getByRole('textbox', { name: 'Display name' }).fill('Shared now');
    await page.getByRole('combobox', { name: 'Who may use it' }).selectOption('administrators-and-contributors');
    await page.getByRole('button', { name: 'Save' }).click();
    await shows(page, '.notice', 'Connection saved');
    await page.getByRole('heading', { name: 'Shared now' }).waitFor();
    const context = await browser.newContext({ viewport: WIDE });
    const contributor = await context.newPage();
    await signIn(contributor, stack.contributorKey);
    await contributor.getByRole('link', { name: 'Shared now' }).waitFor();
    await context.close();

    // Deleting the Microsoft connection says which export stops, and takes it along.
    await page.goto(`${stack.registryUrl}/#/connections`);
    await page.getByRole('link', { name: /Microsoft shop/ }).click();
    await page.getByRole('button', { name: 'Delete connection…' }).click();
    await shows(page, '[role=alertdialog]', 'stops delivery of 1 export');
    await shows(page, '[role=alertdialog]', 'Buyers and VIPs to Microsoft');
    // Cancel is focused first, so Enter does not delete.
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Cancel');
    await page.getByRole('button', { name: 'Delete connection and 1 export' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    await shows(page, '.notice', 'deleted');
    expect(await page.getByRole('link', { name: /Microsoft shop/ }).count()).toBe(0);
    const exports = (await stack.api('GET', '/exports')).body.items.map((e: { displayName: string }) => e.displayName);
    expect(exports).not.toContain('Buyers and VIPs to Microsoft');

    // Keyboard only: from the list to the form, the new page's heading takes focus.
    await page.getByRole('link', { name: 'Add connection' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Add connection' }).waitFor();
    expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('H1');

    // Signing out ends the session: the console asks for a key again, even after a reload.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await shows(page, '[role=status]', 'You are signed out');
    await page.reload();
    await page.getByLabel('API key').waitFor();
    await signIn(page, stack.adminKey);
  });

  it('keeps its layout at 1280 and 390 px', async () => {
    const phone = await admin.newPage();
    await phone.setViewportSize(PHONE);
    for (const path of ['#/connections', '#/connections/new', '#/exports', '#/exports/new']) {
      await phone.goto(`${stack.registryUrl}/${path}`);
      await phone.locator('main h1').waitFor();
      expect([path, await overflowsSideways(phone)]).toEqual([path, false]);
    }
    await page.goto(`${stack.registryUrl}/#/exports`);
    await page.getByRole('link', { name: 'Newsletter to Facebook' }).click();
    await page.locator('table.runs').waitFor();
    expect(await overflowsSideways(page)).toBe(false);
    await phone.goto(page.url());
    await phone.locator('table.runs').waitFor();
    expect(await overflowsSideways(phone)).toBe(false);
    // On a phone the runs are cards, not a table to scroll sideways.
    expect(await phone.evaluate<boolean>("[...document.querySelectorAll('.table-wrap')].some((e) => e.scrollWidth > e.clientWidth + 1)")).toBe(false);
    await screenshot(phone, 'export-phone');
    await phone.close();
  });
});
