import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demoPassword } from '../../../server/services/demo/seed-demo.ts';
import { createTestApp, type TestApp } from '../../support/test-app.ts';

export const chromiumPath = '/usr/bin/chromium';

/** Where tests leave screenshots for a person to look at; outside the repository. */
export const screenshotDir = '/tmp';

/** Debian's Chromium, headless, with nothing that reaches out to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A page in a fresh browser context, as an RA desk sees it: a 1366×768 laptop in British
 * English on London time. A step that cannot happen fails in seconds, naming the step.
 */
export async function openPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

export interface RunningApp extends TestApp {
  url: string;
  stop(): Promise<void>;
}

/**
 * The real app with its built web app, on a fresh embedded database, on a real port; `env`
 * adds to its configuration (a CA key passphrase, say).
 */
export async function startApp(
  options: { env?: Record<string, string> } = {},
): Promise<RunningApp> {
  const t = await createTestApp('pglite', {
    webRoot: resolve('dist/web'),
    // Browsers reach the app from 127.0.0.1; the proxy headers of the API tests do not apply.
    env: { TRUST_PROXY: 'false', ...options.env },
  });
  const server: ServerType = await new Promise((done) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...t,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      await t.close();
    },
  };
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, url: string, username: string, password = demoPassword) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Does `action`, then waits until the page has had no request in flight for `quietMs`:
 * pages fetch their data after their first render, and checks of what the user sees should
 * wait for it. Requests are counted from before the action, so none is missed.
 */
export async function settleAfter(
  page: Page,
  action: () => Promise<unknown>,
  quietMs = 300,
): Promise<void> {
  let inFlight = 0;
  let lastChange = Date.now();
  const started = () => {
    inFlight++;
    lastChange = Date.now();
  };
  const ended = () => {
    inFlight--;
    lastChange = Date.now();
  };
  page.on('request', started);
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  try {
    await action();
    const deadline = Date.now() + 10_000;
    while (inFlight > 0 || Date.now() - lastChange < quietMs) {
      if (Date.now() > deadline) throw new Error(`page still loading: ${inFlight} requests`);
      await page.waitForTimeout(50);
    }
  } finally {
    page.off('request', started);
    page.off('requestfinished', ended);
    page.off('requestfailed', ended);
  }
}

/**
 * Opens a page from the main navigation by its link's name, as a person would: from the bar,
 * or, for a page gathered under "More" (RA managers, advanced agents), by opening More first.
 */
export async function openFromNav(page: Page, name: string): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const link = nav.getByRole('link', { name, exact: true });
  await nav.getByRole('link').first().waitFor();
  if (!(await link.isVisible())) {
    await nav.getByRole('button', { name: 'More' }).click();
  }
  await link.click();
}
