import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobRuns } from '../../db/schema/background.ts';
import { people } from '../../db/schema/people.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

describe('background jobs and the notices they send, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    // The demo's morning holds cards expiring and expired: the scan has people to tell.
    await seedDemoMorning(app);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      await page.screenshot({
        path: `${screenshotDir}/background-jobs-failure.png`,
        fullPage: true,
      });
    }
    await page.close();
  });

  it('lets an RA manager run the expiry scan now, then shows the run, the person’s notices and the holder’s own', async () => {
    await signIn(page, app.url, 'manager');
    await settleAfter(page, () => page.goto(`${app.url}/background-jobs`));
    await expect(
      page.getByRole('heading', { name: 'Background jobs', level: 1 }).isVisible(),
    ).resolves.toBe(true);
    expect(await page.getByTestId('job').count()).toBeGreaterThanOrEqual(5);
    // When each runs, in words: no cron expression on the page.
    const scan = page.getByTestId('job').filter({ hasText: 'expiry-scan' });
    expect(await scan.textContent()).toContain('Every day at 07:00');
    expect((await page.getByTestId('job').allTextContents()).join(' ')).not.toMatch(/\* \* \*/);
    // Applying an import is queued by Apply: it has no Run now.
    expect(await page.getByRole('button', { name: 'Run now: import-apply' }).count()).toBe(0);
    await settleAfter(page, () =>
      page.getByRole('button', { name: 'Run now: expiry-scan' }).click(),
    );
    await expect(page.getByRole('status').textContent()).resolves.toMatch(
      /^expiry-scan: done, .*sent 5/,
    );
    const run = page
      .getByTestId('job-run')
      .filter({ hasText: 'expiry-scan' })
      .filter({ has: page.getByTestId('trigger').getByText('run now') });
    await expect(run.first().textContent()).resolves.toContain('Done');

    const [sky] = await app.db
      .select({ id: people.id })
      .from(people)
      .where(eq(people.givenName, 'Sky'));
    await settleAfter(page, () => page.goto(`${app.url}/people/${sky?.id}`));
    const notice = page.getByTestId('notification');
    await notice.first().waitFor();
    await expect(notice.first().textContent()).resolves.toMatch(
      /Your smartcard expires on 9 Jan 2027.*Sent/s,
    );

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await settleAfter(page, () => page.goto(`${app.url}/background-jobs`));
    expect(await sidewaysOverflow(page)).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, app.url, 'staff');
    await settleAfter(page, () => page.goto(`${app.url}/my-card`));
    const mine = page.getByTestId('notification');
    await mine.first().waitFor();
    expect(await mine.count()).toBe(1);
    await expect(mine.first().textContent()).resolves.toMatch(
      /Your smartcard expires on 9 Jan 2027.*its certificates expire on 9 Jan 2027/s,
    );
  }, 90_000);

  it('shows a finished run that the app sent to the queue by its outcome, never as queued', async () => {
    const now = app.clock.now();
    const hourAgo = new Date(now.getTime() - 3_600_000);
    await app.db.insert(jobRuns).values([
      {
        job: 'import-apply',
        trigger: 'queue',
        process: 'desk-test:1',
        startedAt: hourAgo,
        finishedAt: new Date(hourAgo.getTime() + 5_000),
        outcome: 'succeeded',
        counts: { created: 2 },
      },
      {
        job: 'crl-refresh',
        trigger: 'queue',
        process: 'desk-test:1',
        startedAt: new Date(hourAgo.getTime() - 60_000),
        finishedAt: new Date(hourAgo.getTime() - 59_000),
        outcome: 'failed',
        error: 'The CA key was not there.',
      },
    ]);
    await signIn(page, app.url, 'manager');
    await settleAfter(page, () => page.goto(`${app.url}/background-jobs`));
    const row = (job: string) => page.getByTestId('job-run').filter({ hasText: job }).first();
    const cell = (job: string, label: string) =>
      row(job).locator(`td[data-label="${label}"]`).textContent();
    expect(await cell('import-apply', 'Outcome')).toBe('Done');
    expect(await cell('crl-refresh', 'Outcome')).toBe('Failed: The CA key was not there.');
    for (const job of ['import-apply', 'crl-refresh']) {
      expect(await row(job).textContent(), job).not.toMatch(/queued/i);
      expect(await cell(job, 'Started'), job).toMatch(/, sent by the app$/);
    }
  });

  it('shows RA staff other than managers no background jobs page', async () => {
    await signIn(page, app.url, 'advanced');
    await expect(page.getByRole('link', { name: 'Jobs' }).count()).resolves.toBe(0);
  });
});
