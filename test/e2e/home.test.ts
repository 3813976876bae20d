import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { people } from '../../db/schema/people.ts';
import { permissionsOf } from '../../server/permissions/permissions.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

/** What each demo role finds waiting when they sign in: section, its count line, first rows. */
const ra = {
  requestsToDecide: {
    waiting: '1 request waits for your decision.',
    rows: ['Sky Staff'],
  },
  identityChecks: {
    waiting: '1 person registered waits for an identity check in person.',
    rows: ['Amara Okafor'],
  },
  cardFlags: { waiting: '7 open card flags, most urgent first.', rows: ['PIN blocked'] },
};
const expected: Record<string, Record<string, { waiting: string; rows: string[] }>> = {
  manager: ra,
  advanced: ra,
  agent: ra,
  idchecker: { identityChecks: ra.identityChecks },
  sponsor: {
    requestsToDecide: ra.requestsToDecide,
    cardFlags: { waiting: '4 open card flags, most urgent first.', rows: ['Zoë Ó Briain'] },
  },
  lsa: {
    cardFlags: { waiting: '1 open card flag, most urgent first.', rows: ['Tomasz Nowak'] },
  },
};

describe('each role’s landing page, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    // The demo's morning leaves a request, flags, and a new starter waiting for her
    // identity check.
    await seedDemoMorning(app);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  const path = () => new URL(page.url()).pathname;
  const nav = () => page.getByRole('navigation', { name: 'Main' });

  for (const [username, sections] of Object.entries(expected)) {
    // RA staff land on their dashboard (test/e2e/dashboard.test.ts), Home one link away.
    const role = demoAccounts.find((a) => a.username === username)?.role;
    const dashboardFirst = !!role && permissionsOf([role]).includes('dashboard:read');
    it(`shows ${username} what waits for them on Home${dashboardFirst ? ', next to the dashboard they land on' : ', where they land'}`, async () => {
      await settleAfter(page, () => signIn(page, app.url, username));
      if (dashboardFirst) {
        expect(path()).toBe('/dashboard');
        await settleAfter(page, () => nav().getByRole('link', { name: 'Home' }).click());
      }
      expect(path()).toBe('/home');
      await page.getByRole('heading', { name: 'Home', exact: true }).waitFor();
      expect(await page.title()).toBe('Home – Smartcard RA');
      const shown = page.locator('section[data-testid^="section-"]');
      await shown.first().waitFor();
      expect(
        await shown.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))),
      ).toEqual(Object.keys(sections).map((k) => `section-${k}`));
      for (const [kind, want] of Object.entries(sections)) {
        const section = page.getByTestId(`section-${kind}`);
        expect(await section.getByTestId('waiting').textContent(), kind).toBe(want.waiting);
        const first = (await section.locator('tbody tr').first().textContent()) ?? '';
        for (const text of want.rows) expect(first, kind).toContain(text);
      }
      // A decider sees the count beside Requests, in the navigation.
      const labels = await nav().getByRole('link').allTextContents();
      if (sections.requestsToDecide) expect(labels).toContain('Requests (1)');
      else expect(labels.filter((l) => l.startsWith('Requests'))).toEqual([]);
    });
  }

  it('leaves a card holder on their own access', async () => {
    await signIn(page, app.url, 'staff');
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    expect(path()).toBe('/my-access');
    expect(await nav().getByRole('link', { name: 'Home' }).count()).toBe(0);
  });

  it('links a flag to the card’s page, with its history, and fits 390 pixels', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    await settleAfter(page, () => page.goto(`${app.url}/home`));
    const noSideways = async (what: string) => {
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(scroll, `${what} scrolls sideways`).toBeLessThanOrEqual(client);
    };
    await page.getByTestId('section-cardFlags').waitFor();
    await noSideways('home');
    await page.screenshot({ path: `${screenshotDir}/ra-home-390.png`, fullPage: true });

    const blocked = page.getByTestId('waiting-flag').filter({ hasText: 'PIN blocked' });
    await settleAfter(page, () => blocked.getByRole('link', { name: /^[0-9a-f]{8}…$/ }).click());
    expect(path()).toMatch(/^\/cards\/[0-9a-f]{32}$/);
    // Heading and tab name the card by its serial's first 8 characters.
    const serial = decodeURIComponent(path().split('/')[2] ?? '');
    await page.getByRole('heading', { name: `Card ${serial.slice(0, 8)}…` }).waitFor();
    await expect.poll(() => page.title()).toBe(`Card ${serial.slice(0, 8)}… – Smartcard RA`);
    const [zoe] = await app.db
      .select({ id: people.id })
      .from(people)
      .where(eq(people.givenName, 'Zoë'));
    expect(
      await page.getByRole('link', { name: 'Zoë Ó Briain' }).first().getAttribute('href'),
    ).toBe(`/people/${zoe?.id}`);
    expect(await page.getByTestId('state').textContent()).toBe('Active');
    expect(await page.getByTestId('certificate').count()).toBe(1);
    const history = page.getByTestId('history-event');
    await history.first().waitFor();
    expect((await history.allTextContents()).join('\n').replace(/\s+/g, ' ')).toMatch(
      /The reader at RA desk 1 \(demo\) found Zoë Ó Briain’s card [0-9a-f]{8}…: PIN blocked/,
    );
    await noSideways('the card page');
    await page.screenshot({ path: `${screenshotDir}/ra-card-390.png`, fullPage: true });
  });

  // Last: it decides the demo's waiting request, which the tests above count.
  it('takes a sponsor from a waiting request to its decision, and the count follows it', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'sponsor'));
    const row = page.getByTestId('waiting-request').first();
    await row.waitFor();
    expect(await nav().getByRole('link').allTextContents()).toContain('Requests (1)');
    const decide = row.getByRole('link', { name: 'Decide the request for Sky Staff' });
    const href = (await decide.getAttribute('href')) ?? '';
    expect(href).toMatch(/^\/requests\?request=[0-9a-f-]{36}$/);
    // What it asks for leads there too.
    expect(await row.locator('td[data-label="Asks for"] a').getAttribute('href')).toBe(href);

    await settleAfter(page, () => decide.click());
    expect(path()).toBe('/requests');
    const heading = page.locator('#decide-h');
    await heading.waitFor();
    expect(await heading.textContent()).toContain('for Sky Staff');
    // Reloading or going back does not open it again: the address no longer names it.
    expect(new URL(page.url()).search).toBe('');
    // Opened, it is Sam's to decide for a while: to Sam, that is "you", not their own name.
    const listed = page.getByTestId('request').filter({ hasText: 'Sky Staff' });
    await settleAfter(page, () => page.goto(`${app.url}/requests`));
    expect(await listed.getByTestId('state-note').textContent()).toBe('You are deciding');
    await settleAfter(page, () => nav().getByRole('link', { name: 'Home' }).click());
    expect(await row.locator('.tag').textContent()).toBe('Open with you');
    await settleAfter(page, () =>
      nav()
        .getByRole('link', { name: /^Requests/ })
        .click(),
    );
    await listed.getByRole('button', { name: 'Decide the request for Sky Staff' }).click();
    await heading.waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/^Approved: .+ for Sky Staff\.$/).waitFor();
    // The navigation's count follows the decision without moving to another page.
    await expect
      .poll(() =>
        nav()
          .getByRole('link', { name: /^Requests/ })
          .textContent(),
      )
      .toBe('Requests');

    // The decided list says who decided it, and when.
    const today = app.clock.now().toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'Europe/London',
    });
    await settleAfter(page, () => page.getByLabel('Show').selectOption('decided'));
    expect(await listed.getByTestId('state-note').textContent()).toBe(
      `Approved by you on ${today}`,
    );
    const manager = await openPage(browser);
    await signIn(manager, app.url, 'manager');
    await settleAfter(manager, () => manager.goto(`${app.url}/requests`));
    await settleAfter(manager, () => manager.getByLabel('Show').selectOption('decided'));
    expect(
      await manager
        .getByTestId('request')
        .filter({ hasText: 'Sky Staff' })
        .getByTestId('state-note')
        .textContent(),
    ).toBe(`Approved by Sam Sponsor on ${today}`);
    await manager.context().close();

    // Decided, the same link says so instead of opening anything.
    await settleAfter(page, () => page.goto(`${app.url}${href}`));
    await page.getByTestId('request-gone').waitFor();
    expect(await page.locator('#decide-h').count()).toBe(0);
    // Home now offers nothing to decide.
    await settleAfter(page, () => nav().getByRole('link', { name: 'Home' }).click());
    await page.getByTestId('section-requestsToDecide').getByTestId('waiting').waitFor();
    expect(await page.getByTestId('waiting-request').count()).toBe(0);
  });
});
