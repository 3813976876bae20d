import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { permissionsOf, roleLabels } from '../../server/permissions/permissions.ts';
import { demoAccounts, demoPassword } from '../../server/services/demo/seed-demo.ts';
import {
  launchChromium,
  openFromNav,
  openPage,
  type RunningApp,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * What each demo role must see in the main navigation, in order, and nothing else: the bar,
 * then what "More" opens (set-up and oversight pages, gathered for the roles with two or more
 * of them so the bar fits one row). Their own pages (My profile, Check my card) are by their
 * name in the header.
 */
const expectedNav: Record<string, { bar: string[]; more?: string[] }> = {
  manager: {
    bar: [
      'Dashboard',
      'Home',
      'People',
      'Register',
      'Requests',
      'Positions',
      'Cards',
      'Card flags',
      'My access',
      'Reports',
    ],
    more: ['Stock', 'Workstations', 'Imports', 'Audit', 'Sign-in locks', 'Jobs'],
  },
  advanced: {
    bar: [
      'Dashboard',
      'Home',
      'People',
      'Register',
      'Requests',
      'Positions',
      'Cards',
      'Card flags',
      'My access',
      'Reports',
    ],
    more: ['Stock', 'Workstations', 'Imports', 'Audit'],
  },
  agent: {
    bar: [
      'Dashboard',
      'Home',
      'People',
      'Register',
      'Requests',
      'Cards',
      'Card flags',
      'My access',
      'Stock',
    ],
  },
  idchecker: { bar: ['Home', 'People', 'Register', 'My access'] },
  sponsor: { bar: ['Home', 'People', 'Requests', 'Cards', 'Card flags', 'My access', 'Reports'] },
  lsa: { bar: ['Home', 'People', 'Cards', 'Card flags', 'My access'] },
  staff: { bar: ['My access'] },
};

const wrongCredentials = 'The username or password is not right. Check both and try again.';

describe('signing in and out, in Chromium', () => {
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

  const path = () => new URL(page.url()).pathname;
  const sessionCookies = async () =>
    (await page.context().cookies()).filter((c) => c.name === 'ra_session');

  for (const account of demoAccounts) {
    it(`shows ${account.username} their name, role, navigation and profile, then signs them out`, async () => {
      await signIn(page, app.url, account.username);
      const nav = page.getByRole('navigation', { name: 'Main' });
      const expected = expectedNav[account.username];
      expect(await nav.getByRole('link').allTextContents()).toEqual(expected?.bar);
      const more = nav.getByRole('button', { name: 'More' });
      expect(await more.count()).toBe(expected?.more ? 1 : 0);
      if (expected?.more) {
        await more.click();
        expect(await nav.getByRole('link').allTextContents()).toEqual([
          ...expected.bar,
          ...expected.more,
        ]);
      }
      const auditor = account.username === 'manager' || account.username === 'advanced';
      expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(auditor ? 1 : 0);
      expect(await page.getByTestId('display-name').textContent()).toBe(account.displayName);
      const roles = await page.getByTestId('roles').textContent();
      expect(roles).toContain(roleLabels[account.role]);
      if (account.odsCode) expect(roles).toContain(account.odsCode);

      const yours = page.getByRole('navigation', { name: 'Your account' });
      expect(await yours.getByRole('link').allTextContents()).toEqual([
        'My profile',
        'My card',
        'Check my card',
      ]);
      await yours.getByRole('link', { name: 'My profile' }).click();
      await page.getByRole('heading', { name: 'My profile' }).waitFor();
      expect(path()).toBe('/profile');
      const profile = page.locator('ra-profile-page');
      expect(await profile.getByTestId('username').textContent()).toBe(account.username);
      expect(await profile.getByTestId('role').first().textContent()).toContain(
        account.odsCode
          ? `${roleLabels[account.role]} at ${account.odsCode}`
          : roleLabels[account.role],
      );
      // Every permission the role grants is listed in words, none as a raw id.
      const abilities = profile.getByTestId('permission');
      expect(await abilities.count()).toBe(permissionsOf([account.role]).length);
      expect((await abilities.allTextContents()).join('\n')).not.toMatch(/[a-z]+:[a-z-]+/);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(path()).toBe('/login');
      expect(await sessionCookies()).toEqual([]);
      // The session is gone on the server too, not just forgotten by the page.
      expect((await page.request.get(`${app.url}/api/me`)).status()).toBe(401);
    });
  }

  it('names each empty field by its label, beside it and in a summary, before sending', async () => {
    await page.goto(`${app.url}/login`);
    let sent = false;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/auth/login')) sent = true;
    });
    await page.getByRole('button', { name: 'Sign in' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    // Both problems at once, in words: no API field names ("username, password").
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'Username: Enter the username',
      'Password: Enter the password',
    ]);
    expect(await page.locator('#username-error').textContent()).toContain('Enter the username');
    expect(await page.locator('#password-error').textContent()).toContain('Enter the password');
    expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
    // The summary has focus, so a screen reader reads it, and its links lead to the fields.
    expect(await summary.evaluate((el) => el.matches(':focus'))).toBe(true);
    await summary.getByRole('link', { name: /^Password/ }).click();
    expect(await page.getByLabel('Password').evaluate((el) => el.matches(':focus'))).toBe(true);
    expect(sent).toBe(false);
  });

  it('shows the server’s message for a wrong password and nothing else', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Username').fill('manager');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain(wrongCredentials);
    expect(path()).toBe('/login');
    // The password is cleared for another go; the message has focus, so it is heard.
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(await alert.evaluate((el) => el.matches(':focus'))).toBe(true);
    // Nothing of the account shows, and no session was opened.
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.getByText('Morgan Manager').count()).toBe(0);
    expect(await sessionCookies()).toEqual([]);

    // An unknown username gets the same words, so the form does not tell who has an account.
    await page.getByLabel('Username').fill('nobody-by-this-name');
    await page.getByLabel('Password').fill('not-the-password');
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await answer).status()).toBe(401);
    await expect.poll(() => alert.textContent()).toContain(wrongCredentials);
    expect(await sessionCookies()).toEqual([]);
  });

  it('says when there have been too many attempts', async () => {
    await page.goto(`${app.url}/login`);
    const statuses: number[] = [];
    // After LOGIN_DELAY_AFTER_FAILURES (3) failures from one address, the next try must wait.
    for (let attempt = 0; attempt < 8 && !statuses.includes(429); attempt++) {
      await page.getByLabel('Username').fill('someone-guessing');
      await page.getByLabel('Password').fill(`guess-${attempt}`);
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      statuses.push((await answer).status());
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('Too many failed sign-in attempts. Wait 1 second and try again');
    expect(path()).toBe('/login');
  });

  it('returns to the login page when the session ends under an open page', async () => {
    await signIn(page, app.url, 'manager');
    await openFromNav(page, 'Audit');
    await page.getByTestId('audit-event').first().waitFor();
    // As when the session expires or is ended elsewhere: the next call answers 401.
    await page.context().clearCookies();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(path()).toBe('/login');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  /** Fills in and sends the login form already shown. */
  const sendSignIn = async (username: string) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(demoPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };
  const address = () => {
    const url = new URL(page.url());
    return url.origin === app.url ? url.pathname + url.search : url.href;
  };

  it('returns a signed-out visitor, once signed in, to the page they asked for, query and all', async () => {
    await page.goto(`${app.url}/card-flags?status=resolved`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(path()).toBe('/login');
    await sendSignIn('manager');
    await page.getByRole('heading', { name: 'Card flags', level: 1 }).waitFor();
    expect(address()).toBe('/card-flags?status=resolved');

    // A session ended under an open page: signing in again returns to it.
    await page.context().clearCookies();
    await page.goto(`${app.url}/people?q=smi`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await sendSignIn('manager');
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    expect(address()).toBe('/people?q=smi');

    // Signing out on purpose, then in (perhaps as someone else), leads to the start page.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(address()).toBe('/login');
    await sendSignIn('sponsor');
    await expect.poll(address).toBe('/home');
  });

  it('never leads off the app after signing in, whatever the sign-in link says', async () => {
    for (const next of [
      '//evil.example/card-flags',
      'https://evil.example/card-flags',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      await page.goto(`${app.url}/login?next=${encodeURIComponent(next)}`);
      await sendSignIn('manager');
      await expect.poll(address, { message: next }).toBe('/dashboard');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    }
  });

  it('sends a signed-out visitor of a page to the login', async () => {
    await page.goto(`${app.url}/audit`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(path()).toBe('/login');
  });

  it('says an unknown address leads nowhere, and keeps pages from roles they are not for', async () => {
    await signIn(page, app.url, 'staff');
    await page.goto(`${app.url}/peple`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    // The address stays as typed, so the mistake can be seen; the page leads home.
    expect(path()).toBe('/peple');
    expect(await page.title()).toBe('Page not found – Smartcard RA');
    await page.getByRole('link', { name: 'Go to your start page' }).click();
    await page.waitForURL((url) => url.pathname !== '/peple');
    expect(await page.title()).not.toBe('Page not found – Smartcard RA');

    const audit = page.waitForResponse((r) => r.url().includes('/api/audit'), { timeout: 2000 });
    await page.goto(`${app.url}/audit`);
    await page.getByRole('heading', { name: 'Not open to your role' }).waitFor();
    expect(await page.title()).toBe('Not open to your role – Smartcard RA');
    // Its way out is a link like every other of the app's, not the browser's default blue.
    const colour = (name: string) =>
      page.getByRole('link', { name, exact: true }).evaluate((a) => getComputedStyle(a).color);
    const appBlue = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--ra-blue').trim(),
    );
    expect(appBlue).toBe('#005eb8');
    expect(await colour('Go to your start page')).toBe('rgb(0, 94, 184)');
    // The page was not even asked for its data.
    await expect(audit).rejects.toThrow();
  });

  it('names every public page in the tab title', async () => {
    for (const [address, title] of [
      ['/login', 'Sign in'],
      ['/activate', 'Choose your password'],
      ['/check-card', 'Check my card'],
    ]) {
      await page.goto(`${app.url}${address}`);
      await page.getByRole('heading', { name: title }).waitFor();
      expect(await page.title()).toBe(`${title} – Smartcard RA`);
    }
  });

  it('an activation with mistakes names every one beside its field', async () => {
    await page.goto(`${app.url}/activate`);
    await page.getByLabel('Username').fill('someone');
    await page.getByLabel('New password At least 10 characters').fill('long-enough-password');
    await page.getByLabel('New password again').fill('another-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'Activation code: Enter the activation code',
    ]);
    await page.getByLabel('Activation code').fill('ABCD-EFGH');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect
      .poll(() => summary.getByRole('listitem').allTextContents())
      .toEqual(['New password again: Enter the same password as above']);
    expect(await page.locator('#confirm-error').textContent()).toContain('Enter the same password');
  });
});
