import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoAccounts, demoPassword } from '../../server/services/demo/seed-demo.ts';
import { launchChromium, type RunningApp, signIn, startApp } from './support/browser.ts';

/** What each demo role must see in the navigation, and nothing else. */
const expectedNav: Record<string, string[]> = {
  manager: [
    'People',
    'Register a person',
    'Requests',
    'Positions',
    'My access',
    'Audit trail',
    'My profile',
  ],
  advanced: [
    'People',
    'Register a person',
    'Requests',
    'Positions',
    'My access',
    'Audit trail',
    'My profile',
  ],
  agent: ['People', 'Register a person', 'Requests', 'My access', 'My profile'],
  idchecker: ['People', 'Register a person', 'My access', 'My profile'],
  sponsor: ['People', 'Requests', 'My access', 'My profile'],
  lsa: ['People', 'My access', 'My profile'],
  staff: ['My access', 'My profile'],
};

describe('signing in, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  for (const account of demoAccounts) {
    it(`shows ${account.username} their name, role and navigation, then signs them out`, async () => {
      await signIn(page, app.url, account.username);
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(expectedNav[account.username]);
      await expect
        .poll(() => page.getByTestId('display-name').textContent())
        .toBe(account.displayName);
      const profile = nav.getByRole('link', { name: 'My profile' });
      await profile.click();
      await page.getByRole('heading', { name: 'My profile' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Roles' }).isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/login');
      // The session is gone on the server too.
      expect((await page.request.get(`${app.url}/api/me`)).status()).toBe(401);
    });
  }

  it('shows the server’s message for a wrong password and stays on the login page', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').fill('manager');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('The username or password is not right');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
  });

  it('can be used with the keyboard alone', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').waitFor();
    // The username field has focus on arrival.
    await page.keyboard.type('staff');
    await page.keyboard.press('Tab');
    await page.keyboard.type(demoPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByTestId('display-name').textContent()).toBe('Sky Staff');
  });

  it('labels every field and button on the login page', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').waitFor();
    const unlabelled = await page.evaluate(() => {
      const root = document
        .querySelector('ra-app')
        ?.shadowRoot?.querySelector('ra-login-page')?.shadowRoot;
      if (!root) return ['no login page'];
      return [...root.querySelectorAll('input, button, select')]
        .filter((el) => {
          const id = el.getAttribute('id');
          const label = id ? root.querySelector(`label[for="${id}"]`) : null;
          return (
            !label?.textContent?.trim() && !el.getAttribute('aria-label') && !el.textContent?.trim()
          );
        })
        .map((el) => el.outerHTML);
    });
    expect(unlabelled).toEqual([]);
  });

  it('sends a signed-out visitor of a page to the login', async () => {
    await page.goto(`${app.url}/audit`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
  });
});
