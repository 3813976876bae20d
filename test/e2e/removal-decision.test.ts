import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * Deciding a request to remove a position says it was the removal that was decided: "Rejected:
 * Ward Clerk" alone would read as refusing to give Sky the position she holds.
 */
describe('deciding a removal, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    // Sky holds Ward Clerk, given by her sponsor.
    const sky = await demoPersonId(app, 'Sky');
    const given = await post(app, await app.login('sponsor'), `/api/people/${sky}/assignments`, {
      positionId: await demoPositionId(app, 'Ward Clerk'),
    });
    expect(given.status, await given.clone().text()).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  /** The agent asks to remove Sky's Ward Clerk. */
  async function raiseRemoval() {
    const res = await post(app, await app.login('agent'), '/api/requests', {
      kind: 'remove',
      personId: await demoPersonId(app, 'Sky'),
      positionId: await demoPositionId(app, 'Ward Clerk'),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }

  /** Opens the sponsor's inbox on the removal, ready to decide. */
  async function openRemoval() {
    await signIn(page, app.url, 'sponsor');
    await settleAfter(page, () => page.goto(`${app.url}/requests`));
    const row = page.getByTestId('request').filter({ hasText: 'Remove Ward Clerk' });
    await row.getByRole('button', { name: 'Decide the request for Sky Staff' }).click();
    await page.locator('#decide-h').waitFor();
  }

  it('says a rejected removal was the removal, and an approved one too', async () => {
    await raiseRemoval();
    await openRemoval();
    await page.getByLabel('Note or reason').fill('Sky still covers the ward desk');
    await settleAfter(page, () => page.getByRole('button', { name: 'Reject' }).click());
    expect(await page.locator('#notice').textContent()).toBe(
      'Rejected: removal of Ward Clerk for Sky Staff.',
    );

    await raiseRemoval();
    await page.context().clearCookies();
    await openRemoval();
    await settleAfter(page, () => page.getByRole('button', { name: 'Approve' }).click());
    expect(await page.locator('#notice').textContent()).toBe(
      'Approved: removal of Ward Clerk for Sky Staff.',
    );
  });
});
