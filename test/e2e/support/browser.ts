import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demoPassword } from '../../../server/services/demo/seed-demo.ts';
import { createTestApp, type TestApp } from '../../support/test-app.ts';

export const chromiumPath = '/usr/bin/chromium';

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

export interface RunningApp extends TestApp {
  url: string;
  stop(): Promise<void>;
}

/** The real app with its built web app, on a fresh embedded database, on a real port. */
export async function startApp(): Promise<RunningApp> {
  const t = await createTestApp('pglite', {
    webRoot: resolve('dist/web'),
    // Browsers reach the app from 127.0.0.1; the proxy headers of the API tests do not apply.
    env: { TRUST_PROXY: 'false' },
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
