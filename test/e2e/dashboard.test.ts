import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardLocations, cards } from '../../db/schema/cards.ts';
import { personOrganisations } from '../../db/schema/people.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { axeViolations, sidewaysOverflow, waitForLoaded } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

const dayMs = 86_400_000;

/**
 * The RA dashboard in Chromium: the manager lands on it, its counts are the API's, and each
 * count opens the cards (or flags) list with exactly the cards it counted, at a desk and on
 * a phone. The demo's morning, plus 60 cards expiring within a month (more than one page of
 * the list) and some stock, written directly.
 */
describe('the RA dashboard, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    await seedDemoMorning(app);
    const now = app.clock.now();
    const [safe] = await app.db
      .insert(cardLocations)
      .values({ odsCode: 'RWG', name: 'RA office safe', createdAt: now })
      .returning({ id: cardLocations.id });
    const holders = await app.db
      .select({ id: personOrganisations.personId })
      .from(personOrganisations)
      .where(eq(personOrganisations.odsCode, 'RWG01'));
    const rows: (typeof cards.$inferInsert)[] = [];
    for (let i = 0; i < 60; i++) {
      rows.push({
        serial: randomBytes(16).toString('hex'),
        personId: holders[i % holders.length]?.id ?? null,
        state: i % 10 === 0 ? 'blocked' : 'active',
        expiresAt: new Date(now.getTime() + (3 + (i % 25)) * dayMs),
        createdAt: now,
        updatedAt: now,
      });
    }
    for (let i = 0; i < 4; i++) {
      rows.push({
        serial: randomBytes(16).toString('hex'),
        locationId: safe?.id ?? null,
        state: 'in_stock',
        createdAt: now,
        updatedAt: now,
      });
    }
    await app.db.insert(cards).values(rows);
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
  const api = async <T>(url: string): Promise<T> => {
    const res = await page.request.get(new URL(url, app.url).href);
    expect(res.status(), url).toBe(200);
    return (await res.json()) as T;
  };
  /** Every serial of a cards list, through the API, page by page. */
  const serialsOf = async (search: string) => {
    const serials: string[] = [];
    let cursor = '';
    do {
      const page: { items: { serial: string }[]; nextCursor: string | null } = await api(
        `/api/cards?${search}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      serials.push(...page.items.map((c) => c.serial));
      cursor = page.nextCursor ?? '';
    } while (cursor);
    return serials;
  };
  /** The serials the cards page shows, after pressing More until it is gone. */
  const shownSerials = async () => {
    await waitForLoaded(page);
    // The list's own More, not the navigation's (which holds the less-used pages).
    const more = page.locator('ra-cards-page').getByRole('button', { name: 'More', exact: true });
    while (await more.isVisible()) {
      await settleAfter(page, () => more.click());
    }
    return page
      .getByTestId('card-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-serial') ?? ''));
  };
  const countOf = async (testId: string) =>
    Number(await page.getByTestId(testId).getAttribute('data-count'));

  it('lands the manager on the dashboard, with the API’s counts', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    expect(path()).toBe('/dashboard');
    await page.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    expect(await page.title()).toBe('Dashboard – Smartcard RA');
    await waitForLoaded(page);
    const board = await api<{
      cardsByState: { state: string; count: number }[];
      expiry: { buckets: { bucket: string; count: number }[] };
      blockedPins: { cards: { count: number }; flags: { count: number } };
    }>('/api/dashboard');
    for (const s of board.cardsByState)
      expect(await countOf(`count-state-${s.state}`), s.state).toBe(s.count);
    for (const b of board.expiry.buckets)
      expect(await countOf(`count-expiry-${b.bucket}`), b.bucket).toBe(b.count);
    expect(await countOf('count-pins-cards')).toBe(board.blockedPins.cards.count);
    expect(await countOf('count-pins-flags')).toBe(board.blockedPins.flags.count);
    // What the page says is the number itself, in words a person reads.
    const within30 = page.getByTestId('count-expiry-30');
    expect((await within30.textContent())?.replace(/\s+/g, ' ').trim()).toMatch(
      /^\d+ Within 30 days: cards whose certificates expire$/,
    );
    expect(board.expiry.buckets.find((b) => b.bucket === '30')?.count).toBeGreaterThan(50);
  });

  it('follows a count to the list of exactly the cards it counted, over more than one page', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    await waitForLoaded(page);
    const counted = await countOf('count-expiry-30');
    await settleAfter(page, () => page.getByTestId('count-expiry-30').click());
    expect(path()).toBe('/cards');
    expect(new URL(page.url()).search).toBe('?expiry=30');
    await page.getByRole('heading', { name: 'Cards', exact: true }).waitFor();
    expect(await page.getByLabel('Certificates').inputValue()).toBe('30');
    const shown = await shownSerials();
    expect(shown.length).toBe(counted);
    expect(new Set(shown).size).toBe(counted);
    expect(shown).toEqual(await serialsOf('expiry=30'));
    expect(await page.getByTestId('card-count').textContent()).toBe(`${counted} cards`);
    // Each row leads to its card's page.
    const first = page.getByTestId('card-row').first();
    const serial = (await first.getAttribute('data-serial')) ?? '';
    expect(
      await first
        .getByRole('link', { name: serial.slice(0, 8), exact: false })
        .getAttribute('href'),
    ).toBe(`/cards/${serial}`);
  });

  it('follows a state count and a flag count, and filters from the page’s own controls', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    await waitForLoaded(page);
    const blocked = await countOf('count-state-blocked');
    expect(blocked).toBeGreaterThan(0);
    await settleAfter(page, () => page.getByTestId('count-state-blocked').click());
    expect(new URL(page.url()).search).toBe('?state=blocked');
    expect((await shownSerials()).sort()).toEqual((await serialsOf('state=blocked')).sort());
    expect(await page.getByTestId('card-row').count()).toBe(blocked);

    // The controls change the list and the address, which Back and a reload keep.
    await settleAfter(page, () => page.getByLabel('State').selectOption('in_stock'));
    expect(new URL(page.url()).search).toBe('?state=in_stock');
    const stock = await shownSerials();
    const inStock = await serialsOf('state=in_stock');
    expect(stock.sort()).toEqual(inStock.sort());
    // The 4 written above and the demo's 17 blank cards in its two locations.
    expect(stock.length).toBe(4 + 17);
    await settleAfter(page, () => page.reload());
    expect(await page.getByLabel('State').inputValue()).toBe('in_stock');
    expect((await shownSerials()).length).toBe(inStock.length);

    await settleAfter(page, () => page.goto(`${app.url}/dashboard`));
    await waitForLoaded(page);
    const pinFlags = await countOf('count-flag-pin_blocked');
    await settleAfter(page, () => page.getByTestId('count-flag-pin_blocked').click());
    expect(path()).toBe('/card-flags');
    expect(new URL(page.url()).search).toBe('?kind=pin_blocked');
    await waitForLoaded(page);
    expect(await page.getByLabel('Flag').inputValue()).toBe('pin_blocked');
    expect(await page.getByTestId('flag').count()).toBe(pinFlags);
  });

  it('says which filter an address names wrongly, and offers every card', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await settleAfter(page, () => page.goto(`${app.url}/cards?expiry=12&state=gone`));
    const alert = page.getByTestId('bad-filter');
    await alert.waitFor();
    expect((await alert.textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      'This address names a card state and a certificate expiry the list does not know. Choose from the filters above, or show every card.',
    );
    expect(errors).toEqual([]);
    await settleAfter(page, () => alert.getByRole('link', { name: 'show every card' }).click());
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByTestId('card-row').count()).toBeGreaterThan(0);
  });

  it('fits a 390-pixel phone, dashboard and list, with nothing serious for axe-core', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await settleAfter(page, () => signIn(page, app.url, 'manager'));
    await waitForLoaded(page);
    expect(path()).toBe('/dashboard');
    for (const [name, go] of [
      ['dashboard', async () => {}],
      ['cards', () => page.getByTestId('count-expiry-30').click()],
    ] as const) {
      await settleAfter(page, go);
      await waitForLoaded(page);
      await page.screenshot({ path: `${screenshotDir}/ra-${name}-390.png`, fullPage: true });
      const problems = [
        ...(await sidewaysOverflow(page)).map((p) => `past the right edge: ${p}`),
        ...(await axeViolations(page)).map((v) => `axe-core: ${v}`),
      ];
      expect(problems, `${name}:\n${problems.join('\n')}`).toEqual([]);
    }
  });

  it('cancels a card from the list behind a count, and the count follows', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'agent'));
    await waitForLoaded(page);
    expect(path()).toBe('/dashboard');
    const blocked = await countOf('count-state-blocked');
    const cancelled = await countOf('count-state-cancelled');
    await settleAfter(page, () => page.getByTestId('count-state-blocked').click());
    await waitForLoaded(page);
    const row = page.getByTestId('card-row').first();
    const serial = (await row.getAttribute('data-serial')) ?? '';
    await settleAfter(page, () => row.getByTestId('cancel-card').click());
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await page.getByText('Cancelling is final').isVisible()).toBe(true);
    // No reason picked: the dialog says so and nothing is cancelled.
    await dialog.getByRole('button', { name: 'Cancel card' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/choose/i);
    expect(
      (await api<{ state: string }>(`/api/cards/${serial}`)).state,
      'nothing cancelled yet',
    ).toBe('blocked');
    await dialog.getByLabel('Stolen').check();
    await settleAfter(page, () => dialog.getByRole('button', { name: 'Cancel card' }).click());
    await expect
      .poll(() => page.getByTestId('notice').textContent())
      .toMatch(/is cancelled \(stolen\)/);
    await waitForLoaded(page);
    // It has left the list of blocked cards, and the dashboard counts it as cancelled.
    expect(await shownSerials()).not.toContain(serial);
    const card = await api<{ state: string; stateReason: string }>(`/api/cards/${serial}`);
    expect([card.state, card.stateReason]).toEqual(['cancelled', 'stolen']);
    await settleAfter(page, () => page.getByRole('link', { name: 'Dashboard' }).click());
    await waitForLoaded(page);
    expect(await countOf('count-state-blocked')).toBe(blocked - 1);
    expect(await countOf('count-state-cancelled')).toBe(cancelled + 1);
  });

  it('leaves roles without the dashboard on their own start page', async () => {
    await settleAfter(page, () => signIn(page, app.url, 'sponsor'));
    expect(path()).toBe('/home');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
    await settleAfter(page, () => page.goto(`${app.url}/dashboard`));
    await page.getByRole('heading', { name: 'Not open to your role' }).waitFor();
  });
});
