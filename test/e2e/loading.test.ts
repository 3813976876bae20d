import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  launchChromium,
  openFromNav,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

const esrHeader =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

/**
 * A slow API, as on a busy day: each page that waits for it says it is loading (ra-loading,
 * a live status), and says so no longer once the answer is in. Each route is held back by
 * Playwright until the test lets it go, so the waiting state is seen for sure, not raced.
 */
describe('pages waiting on a slow API, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  /** Holds back the requests `url` matches until the returned function is called. */
  async function holdBack(url: string, method = 'GET') {
    let release: () => void = () => {};
    const released = new Promise<void>((done) => {
      release = done;
    });
    await page.route(url, async (route: Route) => {
      if (route.request().method() !== method) return route.fallback();
      await released;
      await route.continue();
    });
    return release;
  }

  const loading = (label: string) => page.getByRole('status').filter({ hasText: label });

  it('Imports says it is checking an ESR file until its dry run comes back', async () => {
    await signIn(page, app.url, 'manager');
    await openFromNav(page, 'Imports');
    await page.getByRole('heading', { name: 'Imports', exact: true }).waitFor();
    const release = await holdBack('**/api/esr-imports**', 'POST');
    await page.getByLabel('ESR file').setInputFiles({
      name: 'esr-slow.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `${esrHeader}\n82000001,Quillby,Orrin,1981-02-03,,RWG01,R8001,2026-01-05,\n`,
      ),
    });
    const check = page.getByRole('button', { name: 'Check the file' });
    await check.click();
    const indicator = loading('Checking the file…');
    await indicator.waitFor();
    expect(await check.isDisabled()).toBe(true);
    await page.screenshot({ path: `${screenshotDir}/ra-imports-checking-1280.png` });
    release();
    await page.getByTestId('planned').waitFor();
    await indicator.waitFor({ state: 'detached' });
    expect(await check.isDisabled()).toBe(false);
  });

  it('Imports says it is checking a list of cards to cancel until its dry run comes back', async () => {
    await signIn(page, app.url, 'manager');
    await page.goto(`${app.url}/imports`);
    await page.getByRole('heading', { name: 'Imports', exact: true }).waitFor();
    const release = await holdBack('**/api/card-cancellations**', 'POST');
    await page.getByLabel('Card serials, one on each line').fill('0011223344556677');
    await page.getByLabel('Reason', { exact: true }).selectOption('lost');
    const check = page.getByRole('button', { name: 'Check the list' });
    await check.click();
    const indicator = loading('Checking the list…');
    await indicator.waitFor();
    expect(await check.isDisabled()).toBe(true);
    release();
    await indicator.waitFor({ state: 'detached' });
    // The answer is in: a dry run, or the server's reason beside the list.
    await page.locator('ra-import-run, #serials-error, [role="alert"]').first().waitFor();
    expect(await check.isDisabled()).toBe(false);
  });

  it('People says it is searching until the people come', async () => {
    await signIn(page, app.url, 'manager');
    await page.goto(`${app.url}/people`);
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    const release = await holdBack('**/api/people?**');
    await page.getByLabel(/^Name, user ID/).fill('smi');
    await page.getByRole('button', { name: 'Search' }).click();
    const indicator = loading('Searching…');
    await indicator.waitFor();
    release();
    await page
      .getByRole('status')
      .filter({ hasText: /found|Nobody matches/ })
      .waitFor();
    expect(await indicator.count()).toBe(0);
  });

  it('My profile, opened by its address, says it is loading until the account is in', async () => {
    await signIn(page, app.url, 'manager');
    const release = await holdBack('**/api/me');
    await page.goto(`${app.url}/profile`);
    const indicator = loading('Loading…');
    await indicator.waitFor();
    release();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    expect(await indicator.count()).toBe(0);
  });
});
