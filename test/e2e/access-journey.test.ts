import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  openFromNav,
  type RunningApp,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * Issue 3's journey through the screens: register with an identity check, activate, request
 * a position, the sponsor decides, the position is held; the audit chain is whole.
 */
describe('from registration to access, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    page = await (
      await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' })
    ).newPage();
    // A step that cannot happen fails in seconds, naming the step, not at the test's limit.
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  };

  it('runs the whole journey', { timeout: 120_000 }, async () => {
    // 1. The ID checker registers Nia with a login, then records three documents.
    await signIn(page, app.url, 'idchecker');
    await page.getByRole('link', { name: 'Register', exact: true }).click();
    await page.getByLabel('Given name').fill('Nia');
    await page.getByLabel('Family name').fill('Okafor');
    await page.getByLabel('Date of birth').fill('1994-03-08');
    await page.getByLabel('Work email').fill('nia.okafor@demo.nhs.example');
    await page.getByRole('checkbox', { name: /RWG01/ }).check();
    await page.getByLabel('Login username').fill('nia.okafor');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('group', { name: 'Document 1' }).waitFor();
    await page.getByLabel('Document number').nth(0).fill('NIA123456');
    await page.getByLabel('Expires').nth(0).fill('2031-05-01');
    await page.getByLabel('Document number').nth(1).fill('ELEC-556677');
    await page.getByLabel('Document number').nth(2).fill('BC-NIA-1994');
    await page.getByRole('button', { name: 'Record identity check' }).click();
    const code = (await page.getByTestId('activation-code').textContent())?.trim() ?? '';
    expect(code).toMatch(/^[A-Z2-9]{12}$/);
    await page.screenshot({ path: '.tmp/registered.png', fullPage: true });
    await signOut();

    // 2. Nia chooses a password with the code, signs in and asks for the AMU nurse position.
    await page.goto(`${app.url}/activate`);
    await page.getByLabel('Username').fill('nia.okafor');
    await page.getByLabel('Activation code').fill(code);
    await page.getByLabel('New password', { exact: false }).first().fill('a-long-passphrase-1');
    await page.getByLabel('New password again').fill('a-long-passphrase-1');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Password set' }).waitFor();
    await signIn(page, app.url, 'nia.okafor', 'a-long-passphrase-1');
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    const position = page.getByLabel('Position', { exact: true });
    const nurse = await position
      .locator('option', { hasText: 'Staff Nurse, Acute Medical Unit' })
      .getAttribute('value');
    await position.selectOption(nurse ?? '');
    await page.getByLabel('Why is it needed?').fill('Starting on AMU on Monday');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByText('Request sent').waitFor();
    await expect.poll(() => page.getByTestId('request').first().textContent()).toContain('Open');
    await signOut();

    // 3. The sponsor of RWG01 opens it (claiming it) and approves it.
    await signIn(page, app.url, 'sponsor');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Requests' })
      .click();
    await page.getByRole('button', { name: 'Decide the request for Nia Okafor' }).click();
    await page.getByText('Held for you until').waitFor();
    await page.screenshot({ path: '.tmp/decide.png', fullPage: true });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved: Staff Nurse, Acute Medical Unit for Nia Okafor.').waitFor();
    await signOut();

    // 4. Nia now holds the position.
    await signIn(page, app.url, 'nia.okafor', 'a-long-passphrase-1');
    const held = page.getByTestId('assignment');
    await expect.poll(() => held.count()).toBe(1);
    expect(await held.first().textContent()).toMatch(
      /Staff Nurse, Acute Medical Unit[\s\S]*Active/,
    );
    await signOut();

    // 5. The manager sees each step in the audit trail, and the chain is whole.
    await signIn(page, app.url, 'manager');
    await openFromNav(page, 'Audit');
    const rows = page.locator('ra-audit-page tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(10);
    // Each row carries its action (the sentence and its details say it in words).
    const recorded = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.getAttribute('data-action') ?? ''),
    );
    for (const step of [
      'person.registered',
      'person.identity_checked',
      'account.activated',
      'request.raised',
      'request.claimed',
      'assignment.created',
      'request.approved',
    ]) {
      expect(recorded, step).toContain(step);
    }
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('Chain intact');
  });
});
