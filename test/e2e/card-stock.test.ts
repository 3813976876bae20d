import { inArray } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { axeViolations, sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openFromNav,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

describe('card stock, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({ env: { CA_KEY_PASSPHRASE: 'card stock page test passphrase' } }),
      launchChromium(),
    ]);
    page = await openPage(browser);
    await signIn(page, app.url, 'manager');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const row = (name: string) => page.getByTestId('stock-location').filter({ hasText: name });
  const cell = async (name: string, column: string) =>
    (await row(name).locator(`td[data-label="${column}"]`).textContent())?.trim();

  it('adds a location from the stock page', async () => {
    await openFromNav(page, 'Stock');
    await page.getByRole('heading', { name: 'Card stock', exact: true }).waitFor();
    await page.getByTestId('no-locations').waitFor();
    expect(await page.title()).toBe('Card stock – Smartcard RA');
    await page.getByLabel('Organisation').selectOption('RWG01');
    await page.getByLabel('Name').fill('RA office safe');
    await page.getByRole('button', { name: 'Add location' }).click();
    await page.getByText('RA office safe added to RWG01').waitFor();
    expect(await cell('RA office safe', 'In stock')).toBe('0');
  });

  it('names the bad line of a pasted list by its number, then imports the good lines when asked', async () => {
    await page
      .getByLabel('Location', { exact: true })
      .selectOption({ label: 'RA office safe (RWG01)' });
    await page
      .getByLabel('Serials, one card a line', { exact: false })
      .first()
      .fill('E2E-0001\nE2E-0002, 00112233445566778899aabbccddeeff\nE2E_0004!\nE2E-0003');
    await page.getByRole('button', { name: 'Import cards' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/Line 3: the serial is not 1 to 64 letters, digits and hyphens$/),
    ]);
    // Nothing came in, and the count says so.
    expect(await cell('RA office safe', 'In stock')).toBe('0');
    expect(
      await app.db
        .select()
        .from(cards)
        .where(inArray(cards.serial, ['E2E-0001', 'E2E-0003'])),
    ).toEqual([]);

    await page.getByRole('button', { name: 'Import the 3 good lines anyway' }).click();
    await page.getByText('3 cards imported into RA office safe (RWG01).').waitFor();
    const left = page.getByTestId('not-imported');
    expect(await left.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^Line 3: /),
    ]);
    await expect.poll(() => cell('RA office safe', 'In stock')).toBe('3');
    expect(await cell('RA office safe', 'Total')).toBe('3');
    // The choice goes with the failed import: it is gone once the good lines are in.
    expect(await page.getByRole('button', { name: /anyway/ }).count()).toBe(0);
    await page.screenshot({ path: `${screenshotDir}/card-stock-1280.png`, fullPage: true });
  });

  it('stacks the counts on a phone, with nothing to scroll sideways, and passes axe-core', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await row('RA office safe').waitFor();
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    // Each count is named by its column, as the stacked table shows it.
    const label = await row('RA office safe')
      .locator('td[data-label="In stock"]')
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"In stock: "');
    await page.screenshot({ path: `${screenshotDir}/card-stock-390.png`, fullPage: true });
    // A refusal naming a whole card serial wraps, in the summary and beside the field.
    const serial = '80'.repeat(16);
    await page.getByLabel('Serials, one card a line', { exact: false }).nth(1).fill(serial);
    await page.getByLabel('To location').selectOption({ label: 'RA office safe (RWG01)' });
    await page.getByRole('button', { name: 'Move cards' }).click();
    await page.getByRole('alert').getByText(`there is no card ${serial}`).waitFor();
    expect(await sidewaysOverflow(page)).toEqual([]);
  });
});
