import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPersonId } from '../support/people.ts';
import type { SignedIn } from '../support/test-app.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';
import { pressMoreHeldBack, raiseRequests } from './support/long-lists.ts';

/** More requests for Sky than a list shows at once (50). */
const raised = 57;

/**
 * One person's requests, longer than a page, on the two screens that list them: the holder's
 * own My access, and their page as a sponsor sees it. Each shows 50, says older ones exist,
 * and "More" shows the rest.
 */
describe("a person's long request list, in Chromium", () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let sky: string;
  /** How many requests each screen lists before the test raises its own. */
  const before = { mine: 0, sponsor: 0 };
  const clerk = (n: number) => `Own Paging Clerk ${String(n).padStart(2, '0')}`;

  /** Every request the API lists for `query`, following its cursors. */
  async function countAll(who: SignedIn, query: string) {
    let total = 0;
    let cursor: string | null = null;
    do {
      const res = await app.app.request(
        `/api/requests?${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: who.headers },
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const page = (await res.json()) as { items: unknown[]; nextCursor: string | null };
      total += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    return total;
  }

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    sky = await demoPersonId(app, 'Sky');
    before.mine = await countAll(await app.login('staff'), 'view=mine');
    before.sponsor = await countAll(await app.login('sponsor'), `view=inbox&personId=${sky}`);
    await raiseRequests(app, sky, raised, clerk);
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
    'The 50 most recently raised requests are shown. There are older ones: More shows up to 50 of them.';

  /** 50 first, newest first and the count line saying so; after More, every one. */
  async function pagesThrough(total: number) {
    await expect.poll(() => rows().count()).toBe(50);
    expect(await countLine()).toBe(moreSaid);
    const first = await shownClerks();
    expect(first[0]).toBe(clerk(raised));
    expect(first).not.toContain(clerk(1));

    // While the next page comes, the button says so and cannot be pressed twice.
    await pressMoreHeldBack(page, /\/api\/requests\?.*cursor=/);
    await expect.poll(() => rows().count()).toBe(total);
    expect(await countLine()).toBe(`${total} requests`);
    expect(await more().count()).toBe(0);
    const all = await shownClerks();
    for (let n = 1; n <= raised; n++) expect(all).toContain(clerk(n));
  }

  it('shows the holder 50 of their own requests on My access, and the rest after More', async () => {
    await signIn(page, app.url, 'staff');
    await settleAfter(page, () => page.goto(`${app.url}/my-access`));
    await page.getByRole('heading', { name: 'Your requests' }).waitFor();
    await pagesThrough(before.mine + raised);
  });

  it("shows a sponsor 50 of a person's requests on their page, and the rest after More", async () => {
    await signIn(page, app.url, 'sponsor');
    await settleAfter(page, () => page.goto(`${app.url}/people/${sky}`));
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    await pagesThrough(before.sponsor + raised);
  });
});
