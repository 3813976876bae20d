import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { post } from '../../support/people.ts';
import { type RunningApp, settleAfter } from './browser.ts';

/**
 * Raises one open request for the person per new RWG01 position (a person may have only one
 * open request for each), `named(1)` first, a second apart so "most recent" has one answer.
 * Returns the requests' ids, oldest first.
 */
export async function raiseRequests(
  app: RunningApp,
  personId: string,
  count: number,
  named: (n: number) => string,
): Promise<string[]> {
  const manager = await app.login('manager');
  const agent = await app.login('agent');
  const ids: string[] = [];
  for (let n = 1; n <= count; n++) {
    const position = await post(app, manager, '/api/positions', {
      odsCode: 'RWG01',
      name: named(n),
      jobRoles: ['R8010'],
      activities: [],
      workgroupIds: [],
      systems: [],
      assignable: true,
    });
    expect(position.status, await position.clone().text()).toBe(201);
    const request = await post(app, agent, '/api/requests', {
      personId,
      positionId: ((await position.json()) as { id: string }).id,
    });
    expect(request.status, await request.clone().text()).toBe(201);
    ids.push(((await request.json()) as { id: string }).id);
    app.clock.advance(1000);
  }
  return ids;
}

/**
 * Presses More with the next page held back (the calls matching `nextPage`): while it comes,
 * the button must say "Loading…" and be disabled, so it cannot be pressed twice. Then lets
 * the page come and waits for the screen to settle.
 */
export async function pressMoreHeldBack(page: Page, nextPage: RegExp) {
  let release = () => {};
  const held = new Promise<void>((done) => {
    release = done;
  });
  await page.route(nextPage, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: 'More' }).click();
  const loading = page.getByRole('button', { name: 'Loading…' });
  await loading.waitFor();
  expect(await loading.isDisabled()).toBe(true);
  await settleAfter(page, async () => release());
}
