import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPersonId } from '../support/people.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';
import { pressMoreHeldBack, raiseRequests } from './support/long-lists.ts';

/** More open requests for Watford General than the inbox shows at once (50). */
const raised = 57;

/**
 * A sponsor's inbox longer than one page: 50 at first, the rest behind "More", a count line
 * that does not pretend 50 is all, and a link to an old request that still opens it.
 */
describe('a long requests inbox, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  /** The requests raised, oldest first. */
  const ids: string[] = [];
  const clerk = (n: number) => `Paging Clerk ${String(n).padStart(2, '0')}`;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    ids.push(...(await raiseRequests(app, await demoPersonId(app, 'Priya'), raised, clerk)));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  const rows = () => page.getByTestId('request');
  const countLine = () => page.getByTestId('request-count').textContent();
  const more = () => page.getByRole('button', { name: 'More' });
  const shownClerks = async () =>
    (await rows().locator('strong').allTextContents()).map((name) => name.trim());
  const moreSaid =
    'The 50 most recently raised open requests are shown. There are older ones: More shows up to 50 of them.';

  it('shows the 50 most recently raised open requests, says there are more, and More shows the rest', async () => {
    await signIn(page, app.url, 'sponsor');
    await settleAfter(page, () => page.goto(`${app.url}/requests`));
    await expect.poll(() => rows().count()).toBe(50);
    expect(await countLine()).toBe(moreSaid);
    // Newest first: the oldest seven wait behind More.
    const first = await shownClerks();
    expect(first[0]).toBe(clerk(raised));
    expect(first).not.toContain(clerk(1));

    // While the next page comes, the button says so and cannot be pressed twice.
    await pressMoreHeldBack(page, /\/api\/requests\?.*cursor=/);
    await expect.poll(() => rows().count()).toBe(raised);
    expect(await countLine()).toBe(`${raised} open requests`);
    expect(await more().count()).toBe(0);
    const all = await shownClerks();
    expect(all.at(-1)).toBe(clerk(1));
    expect(new Set(all).size).toBe(raised);

    // Another filter, and back: the first page again.
    await settleAfter(page, () => page.getByLabel('Show').selectOption('decided'));
    expect(await countLine()).toBe('0 decided requests');
    await settleAfter(page, () => page.getByLabel('Show').selectOption('open'));
    await expect.poll(() => rows().count()).toBe(50);
    expect(await countLine()).toBe(moreSaid);
    expect(await more().isEnabled()).toBe(true);
  });

  it('opens the oldest request from a link, though it is not on the first page, and starts again at the first page after deciding it', async () => {
    await signIn(page, app.url, 'sponsor');
    await settleAfter(page, () => page.goto(`${app.url}/requests?request=${ids[0]}`));
    const heading = page.locator('#decide-h');
    await heading.waitFor();
    expect(await heading.textContent()).toContain(`give ${clerk(1)} for Priya Patel`);
    expect(await page.getByTestId('request-gone').count()).toBe(0);
    expect(await shownClerks()).not.toContain(clerk(1));

    await settleAfter(page, () => page.getByRole('button', { name: 'Approve' }).click());
    await page.getByText(`Approved: ${clerk(1)} for Priya Patel.`).waitFor();
    // The list is fetched again from its first page: 50 of the 56 still open.
    await expect.poll(() => rows().count()).toBe(50);
    expect(await countLine()).toBe(moreSaid);
    await settleAfter(page, () => more().click());
    await expect.poll(() => rows().count()).toBe(raised - 1);
    expect(await countLine()).toBe(`${raised - 1} open requests`);
    expect(await shownClerks()).not.toContain(clerk(1));
  });
});
