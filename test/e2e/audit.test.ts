import { eq, sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema/people.ts';
import { makeCheckpoint } from '../../server/services/audit/checkpoints.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import {
  launchChromium,
  openFromNav,
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
    // The demo's morning of work: identity checks, positions, a request, a desk, card flags.
    await seedDemoMorning(app);
    // Events to find: a card holder signs in, and someone gets the advanced agent's password
    // wrong twice.
    const holder = await openPage(browser);
    await signIn(holder, app.url, 'staff');
    await holder.context().close();
    const other = await openPage(browser);
    await other.goto(`${app.url}/login`);
    for (const guess of ['a-wrong-guess', 'another-wrong-guess']) {
      await other.getByLabel('Username').fill('advanced');
      await other.getByLabel('Password').fill(guess);
      const answer = other.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
      await other.getByRole('button', { name: 'Sign in' }).click();
      expect((await answer).status()).toBe(401);
    }
    await other.context().close();

    page = await openPage(browser);
    await signIn(page, app.url, 'manager');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const rows = () => page.getByTestId('audit-event');
  const sentences = async () =>
    (await page.getByTestId('sentence').allTextContents()).map((t) =>
      t.replace(/\s+/g, ' ').trim(),
    );
  const actions = async () =>
    rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action') ?? ''));
  const openAuditTrail = async () => {
    await openFromNav(page, 'Audit');
    await page.getByRole('heading', { name: 'Audit trail', exact: true }).waitFor();
    await rows().first().waitFor();
  };
  const personId = async (givenName: string) => {
    const [row] = await app.db
      .select({ id: people.id })
      .from(people)
      .where(eq(people.givenName, givenName));
    if (!row) throw new Error(`no demo person ${givenName}`);
    return row.id;
  };

  it('tells the demo’s events as sentences, with the people named and linked', async () => {
    await openAuditTrail();
    const said = await sentences();
    // Newest first: the manager's own sign-in, the two failed attempts as one line, the card
    // holder's sign-in.
    expect(said.slice(0, 3)).toEqual([
      'Morgan Manager signed in',
      '2 failed sign-ins for Ada Advanced (‘advanced’) from 127.0.0.1 (wrong password)',
      'Sky Staff signed in',
    ]);
    expect(said).toEqual(
      expect.arrayContaining([
        'Sky Staff asked for the position Staff Nurse, Acute Medical Unit',
        'Sam Sponsor gave Priya Patel the position Staff Nurse, Acute Medical Unit',
        'Morgan Manager gave Zoë Ó Briain the position Consultant Physician',
        'Morgan Manager registered the workstation RA desk 1 (demo) at RWG01',
        expect.stringMatching(/^Ivy Checker checked Priya Patel’s identity: 3 documents seen$/),
        expect.stringMatching(
          /^The reader at RA desk 1 \(demo\) found Zoë Ó Briain’s card [0-9a-f]{8}…: PIN blocked$/,
        ),
        expect.stringMatching(
          /^The reader at RA desk 1 \(demo\) found card [0-9a-f]{8}…, held by nobody/,
        ),
      ]),
    );
    // No codes, no JSON, no "null", no session ids in what a person reads.
    const text = said.join('\n');
    for (const noise of ['null', '{', 'auth.login', 'person 2', 'sessionId']) {
      expect(text).not.toContain(noise);
    }
    // The demo's seeding is the deployment's, not the trust's: a manager of RWG does not see it.
    expect(await actions()).not.toContain('demo.seeded');
    expect(await page.getByTestId('event-count').textContent()).toMatch(
      /^Showing \d+ events, newest first$/,
    );

    // Names link to their pages; the card to the card's page.
    const asked = rows().filter({ hasText: 'Sky Staff asked for the position' });
    expect(await asked.getByRole('link', { name: 'Sky Staff' }).getAttribute('href')).toBe(
      `/people/${await personId('Sky')}`,
    );
    const blocked = rows().filter({ hasText: 'PIN blocked' });
    expect(
      await blocked.getByRole('link', { name: /^card [0-9a-f]{8}…$/ }).getAttribute('href'),
    ).toMatch(/^\/cards\/[0-9a-f]{32}$/);

    // What was recorded stays one click away, in words.
    await asked.getByText('Details').click();
    const facts = await asked.locator('dl').textContent();
    // The sentence says what was done: no action code repeats it.
    expect(facts).not.toContain('request.raised');
    expect(facts).not.toContain('Action');
    expect(facts).toContain('Starting on the Acute Medical Unit bank rota next week.');
    expect(facts).not.toContain('null');
    await page.screenshot({ path: `${screenshotDir}/ra-audit.png`, fullPage: true });
  });

  it('filters by what happened, by person and by day, in the address, and verifies the chain', async () => {
    // Sky Staff withdraws their own request: the trail says "their", not "Sky Staff's".
    const sky = await app.login('staff');
    const mine = (await (
      await app.app.request('/api/requests?view=mine', { headers: sky.headers })
    ).json()) as { items: { id: string; status: string }[] };
    const open = mine.items.find((r) => r.status === 'open');
    if (!open) throw new Error('the demo has no open request of Sky Staff');
    const withdrawn = await app.app.request(`/api/requests/${open.id}/withdraw`, {
      method: 'POST',
      headers: sky.headers,
      body: JSON.stringify({}),
    });
    expect(withdrawn.status).toBe(200);

    await page.goto(`${app.url}/audit`);
    await rows().first().waitFor();
    const everything = (await actions()).length;
    const query = () => new URL(page.url()).searchParams;

    await page.getByLabel('What').selectOption({ label: 'Cards' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(async () => new Set((await actions()).map((a) => a.split('.')[0])))
      .toEqual(new Set(['card']));
    expect(query().get('category')).toBe('cards');

    await page.getByLabel('What').selectOption({ label: 'Everything' });
    await page.getByLabel('Person').fill('Sky');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(() => page.getByTestId('person-filter').textContent())
      .toMatch(/Events of Sky Staff/);
    await expect
      .poll(sentences)
      .toContain('Sky Staff withdrew their request for Staff Nurse, Acute Medical Unit');
    const skys = await sentences();
    expect(skys).toEqual(
      expect.arrayContaining([
        'Sky Staff signed in',
        'Sky Staff asked for the position Staff Nurse, Acute Medical Unit',
        'Sam Sponsor gave Sky Staff the position Ward Clerk',
        'Sky Staff withdrew their request for Staff Nurse, Acute Medical Unit',
      ]),
    );
    expect(skys.every((s) => s.includes('Sky Staff'))).toBe(true);
    expect(skys.join('\n')).not.toContain('withdrew Sky Staff’s');

    // The filtered view is an address: Back returns to the one before, and it can be opened again.
    const skyId = await personId('Sky');
    expect(query().get('person')).toBe(skyId);
    expect(query().get('category')).toBeNull();
    await page.goBack();
    await expect
      .poll(async () => new Set((await actions()).map((a) => a.split('.')[0])))
      .toEqual(new Set(['card']));
    expect(await page.getByLabel('What').inputValue()).toBe('cards');
    const tomorrowOnly = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA');
    await page.goto(`${app.url}/audit?person=${skyId}&from=${tomorrowOnly}`);
    await page.getByText('No events match these filters.').waitFor();
    expect(await page.getByLabel('From').inputValue()).toBe(tomorrowOnly);
    await expect
      .poll(() => page.getByTestId('person-filter').textContent())
      .toMatch(/Events of one person|Events of Sky Staff/);

    await page.getByLabel('Person').fill('Nobody-by-this-name');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('Nobody in your organisations is called').waitFor();

    // Tomorrow holds nothing yet.
    await page.getByRole('button', { name: 'Clear' }).click();
    const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA');
    await page.getByLabel('From').fill(tomorrow);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No events match these filters.').waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(async () => (await actions()).length).toBeGreaterThanOrEqual(everything);

    // No checkpoint signed yet: the check walked the whole trail, and says so.
    const verdict = async () =>
      ((await page.getByTestId('verdict').textContent()) ?? '').replace(/\s+/g, ' ').trim();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(verdict).toMatch(/^Chain intact: all \d+ events, from the first, checked\.$/);

    // Once a checkpoint is signed, the check walks only the events after it: it names the
    // checkpoint, and what it vouched for.
    const signed = await makeCheckpoint({
      db: app.db,
      auditKeys: app.ctx.auditKeys,
      now: app.clock.now,
    });
    if (!signed.ok) throw new Error(signed.problem);
    const { createdAt, lastEventId, eventCount } = signed.checkpoint;
    const london = { timeZone: 'Europe/London' } as const;
    const when = `${createdAt.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', ...london })}, ${createdAt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', ...london })}`;
    // An event after it, for the walk to check.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, app.url, 'manager');
    await page.goto(`${app.url}/audit`);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect
      .poll(verdict)
      .toMatch(
        new RegExp(
          `^Chain intact: the (\\d+ events|1 event) since the signed checkpoint of ${when} \\(event ${lastEventId}\\) checked; the ${eventCount} events up to it were checked when it was signed\\.$`,
        ),
      );
    await page.getByTestId('verdict').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${screenshotDir}/ra-audit-verdict.png` });
  });

  it('fits a 390-pixel phone without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${app.url}/audit`);
      await rows().first().waitFor();
      await rows().first().getByText('Details').click();
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        view: document.documentElement.clientWidth,
      }));
      expect(widths.page).toBeLessThanOrEqual(widths.view);
      await page.screenshot({ path: `${screenshotDir}/ra-audit-390.png`, fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1366, height: 768 });
    }
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
    await expect.poll(async () => (await actions()).length).toBe(50);
    const firstPage = await actions();
    expect(firstPage.slice(0, 3)).toEqual([
      'position.updated',
      'position.updated',
      'position.updated',
    ]);
    expect((await sentences())[0]).toMatch(/^Morgan Manager changed the position .+ \(60\): name$/);
    // Page by page until the trail ends: the demo's morning (its cards issued by the CA
    // included) and the sixty changes fill several pages.
    const more = page.getByRole('button', { name: 'Load more' });
    let pages = 1;
    while ((await more.count()) > 0) {
      const shown = (await actions()).length;
      await more.click();
      await expect.poll(async () => (await actions()).length).toBeGreaterThan(shown);
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const all = await actions();
    // The first page stays as it was, the next follows it, and the list ends with the trust's
    // own events (the deployment's seeding is not among them).
    expect(all.slice(0, 50)).toEqual(firstPage);
    expect(all).not.toContain('demo.seeded');
    expect(all.filter((a) => a === 'position.updated')).toHaveLength(60);
    expect(all).toContain('card.certificate_issued');
  });

  it('names the first broken event when a record was changed behind the app’s back', async () => {
    // What a database administrator could do: switch the append-only guard off and edit a row.
    // The quick check starts at the newest signed checkpoint (an earlier test signed one): a
    // failed sign-in after it is the record edited.
    const wrong = await app.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'advanced', password: 'yet-another-wrong-guess' }),
    });
    expect(wrong.status).toBe(401);
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
