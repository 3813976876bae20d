import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import {
  fieldsWithoutLabel,
  focusedElement,
  focusIsVisible,
  lowContrastText,
  unnamedControls,
} from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * What a person using a keyboard, a screen reader or a low-contrast screen needs from every
 * page: named controls, real labels, AA contrast and a visible focus.
 */
describe('accessibility, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  /** The checks every screen must pass, with the screen's name in each failure. */
  async function expectAccessible(screen: string) {
    expect(await unnamedControls(page), `${screen}: controls without a name`).toEqual([]);
    expect(await fieldsWithoutLabel(page), `${screen}: fields without a <label>`).toEqual([]);
    expect(await lowContrastText(page), `${screen}: text below AA contrast`).toEqual([]);
  }

  it('the login page: labelled, AA contrast, with and without an error', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').waitFor();
    await expectAccessible('login');
    await page.screenshot({ path: `${screenshotDir}/ra-login.png` });

    await page.getByLabel('Username').fill('manager');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('not right').waitFor();
    await expectAccessible('login with an error');
    await page.screenshot({ path: `${screenshotDir}/ra-login-error.png` });
  });

  it('can sign in, move around and sign out with the keyboard alone, seeing where focus is', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').waitFor();
    // The username field has focus on arrival, with a visible ring.
    expect(await focusedElement(page)).toBe('input#username');
    expect((await focusIsVisible(page)).visible).toBe(true);
    await page.keyboard.type('advanced');
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toBe('input#password');
    await page.keyboard.type(demoPassword);
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toBe('button Sign in');
    expect((await focusIsVisible(page)).visible).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByTestId('display-name').textContent()).toBe('Ada Advanced');

    // Focus starts on the page content; the navigation is just before it.
    expect(await focusedElement(page)).toMatch(/^main#main/);
    for (let i = 0; i < 30 && !(await focusedElement(page)).endsWith('Audit trail'); i++) {
      await page.keyboard.press('Shift+Tab');
      expect((await focusIsVisible(page)).visible, await focusedElement(page)).toBe(true);
    }
    expect(await focusedElement(page)).toBe('a Audit trail');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Audit trail', exact: true }).waitFor();
    // Focus moves to the new page's content, so a screen reader starts reading there.
    expect(await focusedElement(page)).toMatch(/^main#main/);
    expect(await page.title()).toBe('Audit trail – Smartcard RA');

    for (let i = 0; i < 40 && (await focusedElement(page)) !== 'button Sign out'; i++) {
      await page.keyboard.press('Shift+Tab');
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('the skip link takes keyboard focus to the page content', async () => {
    await signIn(page, app.url, 'staff');
    await page.goto(`${app.url}/profile`);
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toBe('a Skip to content');
    expect((await focusIsVisible(page)).visible).toBe(true);
    await page.keyboard.press('Enter');
    expect(await focusedElement(page)).toMatch(/^main#main/);
    expect(new URL(page.url()).pathname).toBe('/profile');
  });

  for (const username of ['manager', 'staff']) {
    it(`every page ${username} can open: named controls, labelled fields, AA contrast`, async () => {
      await signIn(page, app.url, username);
      const nav = page.getByRole('navigation', { name: 'Main' });
      const labels = await nav.getByRole('link').allTextContents();
      for (const label of labels) {
        await settleAfter(page, () => nav.getByRole('link', { name: label, exact: true }).click());
        expect(await page.title()).toBe(`${label} – Smartcard RA`);
        await expectAccessible(`${username} on ${label}`);
      }
    });
  }
});
