import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import {
  axeViolations,
  fieldsWithoutLabel,
  focusedElement,
  focusIsVisible,
  sidewaysOverflow,
} from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * What a person using a keyboard, a screen reader, a phone or a low-contrast screen needs:
 * what axe-core checks (named controls, AA contrast…), real labels, a visible focus, and a
 * navigation that folds on a narrow screen. every-page.test.ts runs the page checks on
 * every page; this file checks what happens when a person acts.
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
    expect(await axeViolations(page), `${screen}: axe-core`).toEqual([]);
    expect(await fieldsWithoutLabel(page), `${screen}: fields without a <label>`).toEqual([]);
  }

  it('the checks find what is wrong: an unnamed button, faint text, a field without a label', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').waitFor();
    await page.evaluate(() => {
      const broken = document.createElement('div');
      broken.innerHTML =
        '<button type="button"></button><p style="color:#bbb;background:#fff">faint</p><input id="nolabel" aria-label="named but unlabelled">';
      document.body.append(broken);
    });
    const found = (await axeViolations(page)).join('\n');
    expect(found).toContain('button-name (critical)');
    expect(found).toContain('color-contrast (serious)');
    expect(await fieldsWithoutLabel(page)).toEqual([expect.stringContaining('nolabel')]);
  });

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

  it('on a phone the navigation folds behind a Menu button, and opens and closes by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, app.url, 'manager');
    await page.goto(`${app.url}/card-flags`);
    await page.getByRole('heading', { name: 'Card flags' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await nav.getByRole('link').count()).toBe(0);
    // The header and the folded navigation leave the page near the top of the screen.
    const main = await page.locator('main').boundingBox();
    expect(main?.y).toBeLessThan(200);

    await menu.focus();
    await page.keyboard.press('Enter');
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await nav.getByRole('link', { name: 'Audit', exact: true }).waitFor();
    // The user's own pages, by their name on a wide screen, are in the menu on a phone.
    expect(await nav.getByRole('link', { name: 'My profile' }).isVisible()).toBe(true);
    expect(await nav.getByRole('link', { name: 'Check my card' }).isVisible()).toBe(true);
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(await axeViolations(page), 'the open menu: axe-core').toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-menu-open-390.png` });
    // Escape folds it again, from a link in it, focus back on the button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toBe('a Dashboard');
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await focusedElement(page)).toBe('button Menu');

    // Choosing a page folds the menu and takes focus to the page.
    await menu.click();
    await nav.getByRole('link', { name: 'Workstations' }).click();
    await page.getByRole('heading', { name: 'Workstations', exact: true }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await focusedElement(page)).toMatch(/^main#main/);

    // On a wide screen the bar shows and there is no Menu button.
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await menu.isVisible()).toBe(false);
    expect(await nav.getByRole('link', { name: 'Cards', exact: true }).isVisible()).toBe(true);
    expect(await nav.getByRole('link', { name: 'My profile' }).count()).toBe(0);
    const yours = page.getByRole('navigation', { name: 'Your account' });
    expect(await yours.getByRole('link', { name: 'My profile' }).isVisible()).toBe(true);
  });

  for (const username of ['manager', 'advanced']) {
    it(`fits ${username}'s navigation in one row at 1280 px, the rest under a More opened by keyboard`, async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      // The widest the bar gets: a three-figure count beside every page with work waiting.
      await page.route('**/api/worklist', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { sections: { count: number }[] };
        for (const section of body.sections) section.count = 999;
        await route.fulfill({ response, json: body });
      });
      await signIn(page, app.url, username);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Requests (999)' }).waitFor();
      const more = nav.getByRole('button', { name: 'More' });
      const tops = [
        ...(await nav
          .getByRole('link')
          .evaluateAll((links) => links.map((a) => Math.round(a.getBoundingClientRect().top)))),
        Math.round((await more.boundingBox())?.y ?? -1),
      ];
      expect(tops.length).toBeGreaterThan(9);
      expect(new Set(tops).size, `tops of the bar's links and More: ${tops.join(', ')}`).toBe(1);
      expect((await nav.boundingBox())?.height).toBeLessThan(60);
      expect(await sidewaysOverflow(page)).toEqual([]);
      await page.screenshot({ path: `${screenshotDir}/ra-nav-${username}-1280.png` });

      // From the page, back to More by keyboard; Enter opens it, Tab goes into it.
      expect(await focusedElement(page)).toMatch(/^main#main/);
      for (let i = 0; i < 10 && (await focusedElement(page)) !== 'button More'; i++) {
        await page.keyboard.press('Shift+Tab');
      }
      expect(await focusedElement(page)).toBe('button More');
      expect((await focusIsVisible(page)).visible).toBe(true);
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      expect(await nav.getByRole('link', { name: 'Audit', exact: true }).isVisible()).toBe(false);
      await page.keyboard.press('Enter');
      expect(await more.getAttribute('aria-expanded')).toBe('true');
      await nav.getByRole('link', { name: 'Audit', exact: true }).waitFor();
      await page.keyboard.press('Tab');
      expect(await focusedElement(page)).toBe('a Stock');
      expect(await axeViolations(page), 'More open: axe-core').toEqual([]);
      await page.screenshot({ path: `${screenshotDir}/ra-nav-more-${username}-1280.png` });
      // Escape folds it, focus back on its button.
      await page.keyboard.press('Escape');
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      expect(await focusedElement(page)).toBe('button More');
      // A click elsewhere folds it too.
      await more.click();
      expect(await more.getAttribute('aria-expanded')).toBe('true');
      await page.getByRole('heading', { level: 1 }).click();
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      // Choosing a page folds it, and More is marked as holding the page shown.
      await more.click();
      await nav.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.getByRole('heading', { name: 'Audit trail', exact: true }).waitFor();
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      expect(await more.evaluate((b) => b.classList.contains('current'))).toBe(true);

      // On a phone the same pages are in the folded menu, one a row, nothing sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await more.isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Menu' }).click();
      await nav.getByRole('link', { name: 'Audit', exact: true }).waitFor();
      expect(await nav.getByRole('link', { name: 'Workstations' }).isVisible()).toBe(true);
      expect(await sidewaysOverflow(page)).toEqual([]);
      await page.screenshot({
        path: `${screenshotDir}/ra-nav-${username}-390.png`,
        fullPage: true,
      });
    });
  }

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
    for (let i = 0; i < 30 && (await focusedElement(page)) !== 'button More'; i++) {
      await page.keyboard.press('Shift+Tab');
      expect((await focusIsVisible(page)).visible, await focusedElement(page)).toBe(true);
    }
    // The audit trail is under More: Enter opens it, Tab walks its links.
    expect(await focusedElement(page)).toBe('button More');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 6 && (await focusedElement(page)) !== 'a Audit'; i++) {
      await page.keyboard.press('Tab');
      expect((await focusIsVisible(page)).visible, await focusedElement(page)).toBe(true);
    }
    expect(await focusedElement(page)).toBe('a Audit');
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
});
