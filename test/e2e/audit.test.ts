import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RunningApp, signIn, startApp } from './support/browser.ts';

describe('the audit trail page, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('lists sign-ins, filters them, and verifies the chain', async () => {
    await signIn(page, app.url, 'manager');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit trail' })
      .click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    const rows = page.locator('ra-audit-page tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    expect(await rows.first().textContent()).toContain('auth.login');

    await page.getByLabel('Action').fill('demo.seeded');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('Chain intact');
    await page.screenshot({ path: '.tmp/audit-page.png', fullPage: true });
  });
});
