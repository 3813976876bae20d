import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from './support/browser.ts';

/**
 * Before any page test: Debian's Chromium must be there (installed with apt-get when we
 * can, as no browser can be downloaded here), and the web app is built from the current code.
 */
export default function setup() {
  if (!existsSync(chromiumPath)) {
    const root = process.getuid?.() === 0;
    const aptGet = existsSync('/usr/bin/apt-get');
    if (!root || !aptGet) {
      throw new Error(
        `The page tests need Debian's Chromium at ${chromiumPath}. Install it with: sudo apt-get install chromium`,
      );
    }
    console.log('Installing Debian chromium for the page tests (apt-get)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env,
    });
  }
  // Vitest runs with NODE_ENV=test, under which Vite would bundle Lit's development build:
  // the pages under test are the production build that `npm start` serves.
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
