import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCard } from '../support/card-fixtures.ts';
import { demoPersonId } from '../support/people.ts';
import { axeViolations, sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openFromNav,
  openPage,
  type RunningApp,
  signIn,
  startApp,
} from './support/browser.ts';

const header =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

/** A file of `n` new starters at RWG01 and one line with a bad date. */
function staffFile(n: number): Buffer {
  const lines = [header];
  for (let i = 0; i < n; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(`${81000000 + i},Brook${i},Avery,1980-01-${day},,RWG01,R8001,2026-01-05,`);
  }
  lines.push('81999999,Late,Lou,1990-13-01,,RWG01,R8001,2026-01-05,');
  return Buffer.from(`${lines.join('\n')}\n`);
}

describe('ESR import, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    // Batches of 100 rows: the bar moves several times over a file of 3,000.
    [app, browser] = await Promise.all([
      startApp({ env: { IMPORT_BATCH_ROWS: '100' } }),
      launchChromium(),
    ]);
    page = await openPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('is in the navigation of RA managers only', async () => {
    const agentPage = await openPage(browser);
    await signIn(agentPage, app.url, 'agent');
    const nav = agentPage.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Cards', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Imports', exact: true }).count()).toBe(0);
    await agentPage.close();
  });

  it('uploads a file, shows its dry run line by line, applies it with a progress bar and ends with a summary', async () => {
    await signIn(page, app.url, 'manager');
    await openFromNav(page, 'Imports');
    await page.getByRole('heading', { name: 'Imports', exact: true }).waitFor();
    // Checked with no file: a file is chosen, not typed.
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.locator('#file-error').waitFor();
    expect(await page.locator('#file-error').textContent()).toContain('Choose the ESR file');
    await page.getByLabel('ESR file').setInputFiles({
      name: 'esr-november.csv',
      mimeType: 'text/csv',
      buffer: staffFile(3000),
    });
    await page.getByRole('button', { name: 'Check the file' }).click();
    const planned = page.getByTestId('planned');
    await planned.waitFor({ timeout: 60_000 });
    expect(await planned.textContent()).toContain('to create 3,000, refused 1');
    // Who checked it, by name: not their username.
    expect(await page.getByTestId('import-run').locator('p.muted').first().textContent()).toMatch(
      /^Checked \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d by Morgan Manager:/,
    );
    const rows = page.getByTestId('import-rows');
    await rows.getByText('81000000').waitFor();
    // The bad line is the last of 3,001: shown by choosing the refused lines.
    await page.getByLabel('Show').selectOption({ label: 'Refused (1)' });
    await rows.getByText('Line 3002: the date of birth "1990-13-01" is not a date').waitFor();
    expect(await rows.locator('tbody tr').count()).toBe(1);

    // What the page hears from the server while it applies: the import's status and count.
    const heard: string[] = [];
    page.on('response', async (res) => {
      if (/\/api\/esr-imports\/[^/]+(\/apply)?$/.test(new URL(res.url()).pathname)) {
        const body = (await res.json().catch(() => null)) as {
          status: string;
          done: number;
        } | null;
        if (body) heard.push(`${body.status} ${body.done}`);
      }
    });
    // The bar, as the page draws it, every time it changes.
    await page.getByTestId('apply').click();
    const progress = page.getByTestId('progress');
    await progress.waitFor({ state: 'attached' }).catch((e) => {
      console.log('HEARD', heard);
      throw e;
    });
    expect(await progress.getAttribute('max')).toBe('3001');
    expect(await sidewaysOverflow(page)).toEqual([]);
    const summary = page.getByTestId('summary');
    await summary.waitFor({ timeout: 120_000 }).catch((e) => {
      console.log('HEARD', heard);
      throw e;
    });
    expect(heard[0]).toBe('applying 0');
    expect(heard.at(-1)).toBe('applied 3001');
    // The server's count between: the bar was fed as the batches went.
    expect(
      heard.filter((h) => /^applying [1-9]/.test(h)),
      heard.join(', '),
    ).not.toEqual([]);
    expect(await summary.textContent()).toContain('created 3,000, refused 1');
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await sidewaysOverflow(page)).toEqual([]);
  }, 180_000);

  it('cancels cards from a list only after naming whose cards they are and asking once more', async () => {
    await page.context().clearCookies();
    await signIn(page, app.url, 'manager');
    const holders = [
      { id: await demoPersonId(app, 'Priya'), name: 'Priya' },
      { id: await demoPersonId(app, 'Sam'), name: 'Sam' },
    ];
    const cards = [];
    for (const h of holders) cards.push(await createCard(app, { state: 'active', personId: h.id }));
    await page.goto(`${app.url}/imports`);
    await page.getByRole('button', { name: 'Check the list' }).click();
    await page.locator('#serials-error').waitFor();
    expect(await page.locator('#serials-error').textContent()).toContain(
      'Enter the card serials, one on each line',
    );
    await page
      .getByLabel('Card serials, one on each line')
      .fill(cards.map((c) => c.serial).join('\n'));
    await page.getByLabel('Reason', { exact: true }).selectOption('lost');
    await page.getByRole('button', { name: 'Check the list' }).click();
    const rows = page.getByTestId('import-rows').last();
    await rows.locator('tbody tr').nth(1).waitFor();
    // Each line names the holder before anything is cancelled.
    for (const h of holders)
      expect(await rows.textContent()).toMatch(new RegExp(`${h.name} \\S+’s card`));
    await page.getByTestId('apply').last().click();
    const dialog = page.getByRole('dialog', { name: 'Cancel 2 cards?' });
    await dialog.waitFor();
    // Going back cancels nothing.
    await dialog.getByRole('button', { name: 'Go back' }).click();
    const still = await page.request.get(new URL(`/api/cards/${cards[0]?.serial}`, app.url).href);
    expect(((await still.json()) as { state: string }).state).toBe('active');
    await page.getByTestId('apply').last().click();
    await dialog.getByRole('button', { name: 'Cancel 2 cards' }).click();
    await page.getByTestId('summary').last().waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('summary').last().textContent()).toContain('cancelled 2');
  }, 120_000);
});
