import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

describe('the audit trail page, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    // Events to find: a card holder signs in, and someone gets the advanced agent's password wrong.
    const holder = await openPage(browser);
    await signIn(holder, app.url, 'staff');
    await holder.context().close();
    const other = await openPage(browser);
    await other.goto(`${app.url}/login`);
    await other.getByLabel('Username').fill('advanced');
    await other.getByLabel('Password').fill('a-wrong-guess');
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('alert').getByText('not right').waitFor();
    await other.context().close();

    page = await openPage(browser);
    await signIn(page, app.url, 'manager');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const rows = () => page.getByTestId('audit-event');
  const column = async (n: number) =>
    (await rows().locator(`td:nth-child(${n})`).allTextContents()).map((t) => t.trim());
  const openAuditTrail = async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit trail' })
      .click();
    await page.getByRole('heading', { name: 'Audit trail', exact: true }).waitFor();
    await rows().first().waitFor();
  };

  it('lists the sign-ins, filters them and verifies the chain', async () => {
    await openAuditTrail();
    // Newest first: the manager's own sign-in, the failed attempt, the card holder's sign-in.
    const actions = await column(3);
    const who = await column(2);
    expect(actions.slice(0, 3)).toEqual(['auth.login', 'auth.login_failed', 'auth.login']);
    expect(who.slice(0, 3)).toEqual(['manager', 'advanced', 'staff']);
    // The demo's seeding is the deployment's, not the trust's: a manager of RWG does not see it.
    expect(actions).not.toContain('demo.seeded');
    expect(await page.getByTestId('event-count').textContent()).toBe(
      `Showing ${actions.length} events, newest first`,
    );

    await page.getByLabel('Who (username)').fill('staff');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => column(2)).toEqual(['staff']);
    expect(await column(3)).toEqual(['auth.login']);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Action').fill('auth.login_failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => column(3)).toEqual(['auth.login_failed']);
    // The summary is in words, not a JSON dump.
    expect(await rows().first().locator('td').nth(4).textContent()).not.toContain('{');

    await page.getByLabel('Action').fill('no.such.action');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No events match these filters.').waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(async () => (await column(3)).length).toBe(actions.length);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect
      .poll(() => page.getByTestId('verdict').textContent())
      .toMatch(/Chain intact\s+\d+ events checked/);
    // The chain is the deployment's: it also counts events this manager of RWG does not
    // list (the demo's seeding).
    const verdict = (await page.getByTestId('verdict').textContent()) ?? '';
    expect(Number(/(\d+) events checked/.exec(verdict)?.[1])).toBeGreaterThan(actions.length);
    await page.screenshot({ path: `${screenshotDir}/ra-audit.png` });
  });

  it('loads older events page by page', async () => {
    // Sixty real changes through the API, each with its audit event: renaming a position.
    const manager = await app.login('manager');
    const listed = await app.app.request('/api/positions', { headers: manager.headers });
    const { items } = (await listed.json()) as { items: { id: string; name: string }[] };
    const position = items[0];
    if (!position) throw new Error('the demo trust has no position');
    for (let i = 1; i <= 60; i++) {
      const res = await app.app.request(`/api/positions/${position.id}`, {
        method: 'PATCH',
        headers: manager.headers,
        body: JSON.stringify({ name: `${position.name} (${i})` }),
      });
      expect(res.status).toBe(200);
    }

    await page.goto(`${app.url}/audit`);
    await rows().first().waitFor();
    await expect.poll(() => rows().count()).toBe(50);
    const firstPage = await column(3);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows().count()).toBeGreaterThan(50);
    const all = await column(3);
    // The first page stays as it was, the next follows it, and the list ends with the trust's
    // own events (the deployment's seeding is not among them).
    expect(all.slice(0, 50)).toEqual(firstPage);
    expect(all).not.toContain('demo.seeded');
    expect(all.filter((a) => a === 'position.updated')).toHaveLength(60);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });

  it('names the first broken event when a record was changed behind the app’s back', async () => {
    // What a database administrator could do: switch the append-only guard off and edit a row.
    const manager = await app.login('manager');
    const failed = await app.app.request('/api/audit?action=auth.login_failed', {
      headers: manager.headers,
    });
    const victim = ((await failed.json()) as { items: { id: number }[] }).items[0];
    if (!victim) throw new Error('no failed sign-in was recorded');
    await app.db.execute(
      sql`alter table audit_events disable trigger audit_events_no_update_delete`,
    );
    await app.db.execute(
      sql`update audit_events set actor_username = 'someone-else' where id = ${victim.id}`,
    );
    await app.db.execute(
      sql`alter table audit_events enable trigger audit_events_no_update_delete`,
    );

    await page.goto(`${app.url}/audit`);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect
      .poll(() => page.getByTestId('verdict').textContent())
      .toContain(`Chain broken at event ${victim.id}`);
  });
});
