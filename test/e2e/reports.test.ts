import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { and, eq, isNull } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { accounts } from '../../db/schema/accounts.ts';
import { cardJobs } from '../../db/schema/card-jobs.ts';
import { cards } from '../../db/schema/cards.ts';
import { people, personOrganisations } from '../../db/schema/people.ts';
import { workstations } from '../../db/schema/workstations.ts';
import { addDays, todayOf } from '../../server/services/dates.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { axeViolations, sidewaysOverflow, waitForLoaded } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

const dayMs = 86_400_000;
const formulaName = '=HYPERLINK("http://evil.example","x")';

const reportNames = [
  'expiring-by-week',
  'cards-by-state',
  'requests-by-month',
  'unlocks-by-month',
  'system-access',
  'positions-ending',
] as const;

/**
 * The reports page in Chromium: six charts drawn and their tables, at a desk and on a
 * phone, with nothing scrolling sideways; chart.js fetched only when the page opens; the
 * filters; a CSV downloaded as a person would, matching the API, a formula in a name made
 * harmless. The demo's morning, plus cards expiring and positions ending, written directly.
 */
describe('the reports page, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    await seedDemoMorning(app);
    const now = app.clock.now();
    const holders = await app.db
      .select({ id: personOrganisations.personId })
      .from(personOrganisations)
      .where(eq(personOrganisations.odsCode, 'RWG01'));
    const holding = await app.db
      .insert(cards)
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          serial: randomBytes(16).toString('hex'),
          personId: holders[i % holders.length]?.id ?? null,
          state: i % 7 === 0 ? ('blocked' as const) : ('active' as const),
          expiresAt: new Date(now.getTime() + (2 + i * 6) * dayMs),
          createdAt: now,
          updatedAt: now,
        })),
      )
      .returning({ id: cards.id, personId: cards.personId });
    // Two unlocks this month, at the demo's desk and by the holder: the unlocks chart has bars.
    const [desk] = await app.db.select({ id: workstations.id }).from(workstations);
    const [manager] = await app.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.username, 'manager'));
    const unlocked = holding.find((c) => c.personId);
    if (!desk || !manager || !unlocked?.personId) throw new Error('no desk, manager or card');
    await app.db.insert(cardJobs).values(
      [false, true].map((selfService) => ({
        kind: 'unlock' as const,
        selfService,
        state: 'succeeded' as const,
        cardId: unlocked.id,
        personId: unlocked.personId ?? '',
        workstationId: desk.id,
        requestedBy: manager.id,
        nonceHash: randomBytes(32).toString('hex'),
        createdAt: new Date(now.getTime() - dayMs),
        expiresAt: new Date(now.getTime() - dayMs),
        finishedAt: new Date(now.getTime() - dayMs),
      })),
    );
    // Someone whose name a spreadsheet would run, holding a position that ends next week.
    const [injected] = await app.db
      .insert(people)
      .values({
        userId: '799999999999',
        givenName: formulaName,
        familyName: 'Payload',
        dateOfBirth: '1980-01-01',
        status: 'active',
        givenKey: 'hyperlink',
        familyKey: 'payload',
        familyGivenKey: 'payload hyperlink',
        givenFamilyKey: 'hyperlink payload',
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: people.id });
    const [clerk] = await app.db
      .select({ id: positions.id })
      .from(positions)
      .where(and(eq(positions.odsCode, 'RWG01'), eq(positions.status, 'active')));
    if (!injected || !clerk) throw new Error('no person or position');
    await app.db.insert(personOrganisations).values({ personId: injected.id, odsCode: 'RWG01' });
    await app.db.insert(assignments).values({
      personId: injected.id,
      positionId: clerk.id,
      startDate: '2026-01-01',
      endDate: addDays(todayOf(now), 6),
      createdAt: now,
    });
    // Another position held by someone else, ending within the month.
    const [held] = await app.db
      .select({ id: assignments.id })
      .from(assignments)
      .where(isNull(assignments.endDate));
    if (held) {
      await app.db
        .update(assignments)
        .set({ endDate: addDays(todayOf(now), 20) })
        .where(eq(assignments.id, held.id));
    }
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    page = await openPage(browser);
  });
  afterEach(() => page.context().close());

  const api = async <T>(url: string): Promise<T> => {
    const res = await page.request.get(new URL(url, app.url).href);
    expect(res.status(), url).toBe(200);
    return (await res.json()) as T;
  };

  /** How many pixels of each chart's canvas are painted (not transparent). */
  const paintedPixels = () =>
    page.locator('ra-report-chart canvas').evaluateAll((canvases) =>
      (canvases as HTMLCanvasElement[]).map((canvas) => {
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < (data?.length ?? 0); i += 4) if (data?.[i]) painted++;
        return painted;
      }),
    );

  async function openReports() {
    await page.goto(`${app.url}/reports`);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await waitForLoaded(page);
    for (const name of reportNames) {
      await page.getByTestId(`report-${name}`).locator('canvas').waitFor();
    }
    // Chart.js draws on the next animation frames.
    await expect
      .poll(async () => Math.min(...(await paintedPixels())), { timeout: 5000 })
      .toBeGreaterThan(500);
  }

  it('loads chart.js only when the reports page opens, from the navigation', async () => {
    const chunks: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/assets/')) chunks.push(new URL(r.url()).pathname);
    });
    await signIn(page, app.url, 'manager');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await waitForLoaded(page);
    expect(chunks.filter((c) => c.includes('reports'))).toEqual([]);
    const before = chunks.length;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Reports' })
      .click();
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await waitForLoaded(page);
    const loaded = chunks.slice(before);
    expect(
      loaded.some((c) => /ra-reports-page-[\w-]+\.js$/.test(c)),
      loaded.join(', '),
    ).toBe(true);
    // The main bundle does not hold chart.js: its source names the controllers it registers.
    const main = chunks.find((c) => /\/index-[\w-]+\.js$/.test(c));
    const source = await (await page.request.get(`${app.url}${main}`)).text();
    expect(source).not.toContain('BarController');
  });

  for (const width of [1280, 390]) {
    it(`draws the six charts and their tables at ${width} px, nothing scrolling sideways`, async () => {
      await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
      await signIn(page, app.url, 'manager');
      await openReports();
      const painted = await paintedPixels();
      expect(painted).toHaveLength(6);
      for (const p of painted) expect(p).toBeGreaterThan(500);
      // The bars themselves, not only the axes: the expiry chart's amber (#ffb81c).
      const amber = await page
        .getByTestId('report-expiring-by-week')
        .locator('canvas')
        .evaluate((canvas: HTMLCanvasElement) => {
          const data = canvas
            .getContext('2d')
            ?.getImageData(0, 0, canvas.width, canvas.height).data;
          let found = 0;
          for (let i = 0; i < (data?.length ?? 0); i += 4) {
            if (data?.[i] === 0xff && data[i + 1] === 0xb8 && data[i + 2] === 0x1c) found++;
          }
          return found;
        });
      expect(amber).toBeGreaterThan(200);
      // Each canvas is named for a screen reader; the figures are in the table below it.
      for (const label of await page
        .locator('ra-report-chart canvas')
        .evaluateAll((cs) => cs.map((c) => c.getAttribute('aria-label') ?? ''))) {
        expect(label).toMatch(/^Bar chart of .+ The figures are in the table\.$/);
      }

      const expiring = await api<{ weeks: { weekStarting: string; cards: number }[] }>(
        '/api/reports/expiring-by-week',
      );
      const weekRows = page.getByTestId('table-expiring-by-week').locator('tbody tr');
      expect(await weekRows.count()).toBe(expiring.weeks.length);
      expect(
        (
          await weekRows.evaluateAll((trs) =>
            trs.map((tr) => tr.lastElementChild?.textContent?.trim()),
          )
        ).map(Number),
      ).toEqual(expiring.weeks.map((w) => w.cards));
      expect(await weekRows.first().locator('td').first().textContent()).toBe('23 Nov 2026');

      const systems = await api<{ systems: { people: number }[] }>('/api/reports/system-access');
      const systemRows = page.getByTestId('table-system-access').locator('tbody tr');
      expect(await systemRows.locator('td:nth-child(2)').allTextContents()).toEqual(
        systems.systems.map((s) => String(s.people)),
      );
      const ending = await api<{ total: number }>('/api/reports/positions-ending');
      expect(ending.total).toBeGreaterThan(1);
      expect(await page.getByTestId('table-positions-ending').locator('tbody tr').count()).toBe(
        ending.total,
      );
      for (const name of reportNames) {
        expect(await page.getByTestId(`table-${name}`).isVisible(), name).toBe(true);
      }

      expect(await sidewaysOverflow(page)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: `${screenshotDir}/ra-reports-${width}.png`, fullPage: true });
      await page.getByTestId('report-requests-by-month').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${screenshotDir}/ra-reports-${width}-requests.png` });
    });
  }

  /**
   * Each report table shown that is not in the stacked layout of a phone, and why: the table
   * a block, its head hidden, each body cell showing its column's name, nothing cut off.
   */
  const unstackedTables = () =>
    page.locator('[data-testid^="table-"]').evaluateAll((tables) =>
      tables.flatMap((table) => {
        const name = table.getAttribute('data-testid');
        const found: string[] = [];
        if (getComputedStyle(table).display !== 'block') found.push(`${name} is not stacked`);
        const head = table.querySelector('thead')?.getBoundingClientRect();
        if (head && head.width > 1) found.push(`${name} shows its head row`);
        for (const td of table.querySelectorAll('tbody td')) {
          const label = td.getAttribute('data-label');
          if (!label && !td.hasAttribute('colspan')) found.push(`${name}: a cell has no label`);
          if (label && getComputedStyle(td, '::before').content !== `"${label}: "`) {
            found.push(`${name}: the ${label} cell does not show its label`);
          }
          if (td.scrollWidth > td.clientWidth + 1) {
            found.push(
              `${name}: the ${label} cell is cut off (${td.scrollWidth}px in ${td.clientWidth}px)`,
            );
          }
        }
        return found;
      }),
    );

  it('stacks every report table at 390 px, whatever the filters, nothing scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, app.url, 'manager');
    const today = todayOf(app.clock.now());
    const addresses = [
      '',
      '?organisation=RWG02',
      // A year of weeks and months: the longest tables the dates allow.
      `?from=${addDays(today, -180)}&to=${addDays(today, 180)}`,
      // A problem beside a date field: the two reports of today are still shown.
      '?from=2026-12-01&to=2026-11-01',
    ];
    for (const address of addresses) {
      await page.goto(`${app.url}/reports${address}`);
      await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
      await waitForLoaded(page);
      const shown = await page.locator('[data-testid^="table-"]').count();
      expect(shown, address).toBe(address.includes('2026-12-01') ? 2 : reportNames.length);
      expect(await unstackedTables(), address).toEqual([]);
      expect(await sidewaysOverflow(page), address).toEqual([]);
    }
    // The longest: a year of weeks, every one a row.
    await page.goto(`${app.url}/reports${addresses[2]}`);
    await waitForLoaded(page);
    expect(
      await page.getByTestId('table-expiring-by-week').locator('tbody tr').count(),
    ).toBeGreaterThan(50);
    await page.screenshot({ path: `${screenshotDir}/ra-reports-390-year.png`, fullPage: true });
  });

  it('downloads a CSV that matches the report, the formula in a name made harmless', async () => {
    await signIn(page, app.url, 'manager');
    await openReports();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('csv-positions-ending').click(),
    ]);
    expect(download.suggestedFilename()).toBe('positions-ending-2026-11-25.csv');
    const rows = parse(await readFile(await download.path()), { bom: true }) as string[][];
    const report = await api<{
      total: number;
      items: {
        endDate: string;
        person: { name: string; userId: string };
        position: { name: string };
      }[];
    }>('/api/reports/positions-ending');
    expect(rows[0]).toEqual([
      'End date',
      'Name',
      'User ID',
      'Position',
      'ODS code',
      'Organisation',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[2], r[3]])).toEqual(
      report.items.map((i) => [i.endDate, i.person.userId, i.position.name]),
    );
    const injected = rows.find((r) => r[1]?.includes('HYPERLINK'));
    expect(injected?.[1]).toBe(`'${formulaName} Payload`);

    const [cardsDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('csv-cards-by-state').click(),
    ]);
    const cardRows = parse(await readFile(await cardsDownload.path()), { bom: true }) as string[][];
    const byState = await api<{ rows: { odsCode: string; state: string; cards: number }[] }>(
      '/api/reports/cards-by-state',
    );
    expect(cardRows.slice(1).map((r) => [r[0], Number(r[4])])).toEqual(
      byState.rows.map((r) => [r.odsCode, r.cards]),
    );
    // The states in the words the table on the page shows, row for row.
    const shown = await page
      .getByTestId('table-cards-by-state')
      .locator('tbody td[data-label="State"]')
      .allTextContents();
    expect(shown).toContain('In stock');
    expect(cardRows.slice(1).map((r) => r[2])).toEqual(shown);
  });

  it('filters by organisation and dates, and says beside the field what is wrong', async () => {
    await signIn(page, app.url, 'manager');
    await openReports();
    await page.getByLabel('Organisation', { exact: true }).selectOption('RWG02');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?organisation=RWG02');
    await waitForLoaded(page);
    const systems = await api<{ systems: { people: number }[] }>(
      '/api/reports/system-access?organisation=RWG02',
    );
    await expect
      .poll(() =>
        page.getByTestId('table-system-access').locator('tbody td:nth-child(2)').allTextContents(),
      )
      .toEqual(systems.systems.map((s) => String(s.people)));
    expect(await page.getByTestId('csv-system-access').getAttribute('href')).toBe(
      '/api/reports/system-access.csv?organisation=RWG02',
    );

    await page.getByLabel('From', { exact: true }).fill('2026-12-01');
    await page.getByLabel('To', { exact: true }).fill('2026-11-01');
    await page.getByRole('button', { name: 'Show' }).click();
    const problem = page.locator('#to-error');
    await problem.waitFor();
    expect(await problem.textContent()).toContain(
      'must be on or after the start of the period (1 Dec 2026)',
    );
    expect(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('To', { exact: true }).getAttribute('aria-describedby')).toBe(
      'to-error',
    );
    // The problem is said beside the field; the four reports over time say only that they
    // wait for it, with no red box of their own.
    await expect.poll(() => page.getByTestId('not-shown').count()).toBe(4);
    expect(await page.locator('[data-testid^="report-"] .message.error').count()).toBe(0);
  });

  /** The words of the organisation select's chosen option. */
  const chosenOrganisation = () =>
    page
      .getByLabel('Organisation', { exact: true })
      .evaluate((select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent);

  it('says beside the organisation, in a sentence, that an organisation in the address is not among the manager’s', async () => {
    await signIn(page, app.url, 'manager');
    await page.goto(`${app.url}/reports?organisation=RXX`);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    const problem = page.getByTestId('organisation-error');
    await problem.waitFor();
    // No such organisation: not among the manager's either, which the page knows without asking.
    expect(await problem.textContent()).toBe(
      'You see reports for RWG, RWG01, RWG02 only, and RXX is not among them.',
    );
    const select = page.getByLabel('Organisation', { exact: true });
    expect(await select.getAttribute('aria-invalid')).toBe('true');
    expect(await select.getAttribute('aria-describedby')).toBe('organisation-error');
    // Just under the field, not in a box elsewhere on the page.
    const field = await select.boundingBox();
    const said = await problem.boundingBox();
    if (!field || !said) throw new Error('the field or its problem is not shown');
    expect(said.y - (field.y + field.height)).toBeGreaterThanOrEqual(0);
    expect(said.y - (field.y + field.height)).toBeLessThan(24);
    expect(Math.abs(said.x - field.x)).toBeLessThan(4);
    // The select does not claim that all of the manager's organisations are shown.
    expect(await chosenOrganisation()).toBe('RXX (cannot be shown)');
    expect(await page.getByTestId('not-shown').count()).toBe(6);
    expect(await page.getByTestId('reports-problem').count()).toBe(0);
    await page.screenshot({ path: `${screenshotDir}/ra-reports-unknown-organisation-1280.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-reports-unknown-organisation-390.png` });

    // Choosing one of theirs and Show puts things right.
    await select.selectOption('RWG01');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => problem.count()).toBe(0);
    expect(await select.getAttribute('aria-invalid')).toBe('false');
  });

  it('names each position’s organisation in the positions-ending table, code and name, as its CSV does', async () => {
    await signIn(page, app.url, 'manager');
    await openReports();
    const report = await api<{ items: { odsCode: string; organisation: string }[] }>(
      '/api/reports/positions-ending',
    );
    expect(report.items.length).toBeGreaterThan(0);
    const shown = await page
      .getByTestId('table-positions-ending')
      .locator('td[data-label="Organisation"]')
      .allTextContents();
    expect(shown).toEqual(report.items.map((i) => `${i.organisation} (${i.odsCode})`));
    expect(shown.join(' ')).toContain('Watford General Hospital (RWG01)');
  });

  it('draws no empty chart for a report with nothing in its dates: it says so instead', async () => {
    await signIn(page, app.url, 'manager');
    // Years before anything of the demo: nothing expires, is requested, unlocked or ends.
    await page.goto(`${app.url}/reports?from=2020-01-06&to=2020-03-29`);
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await waitForLoaded(page);
    const report = (name: (typeof reportNames)[number]) => page.getByTestId(`report-${name}`);
    const said = {
      'expiring-by-week': 'No card’s certificate expires in these weeks.',
      'requests-by-month': 'No request was raised or decided in these months.',
      'unlocks-by-month': 'No card was unlocked in these months.',
    } as const;
    for (const [name, words] of Object.entries(said)) {
      const section = report(name as keyof typeof said);
      await section.getByTestId(`table-${name}`).waitFor();
      expect(await section.locator('ra-report-chart').count(), name).toBe(0);
      expect(await section.getByTestId('nothing-to-chart').textContent(), name).toBe(words);
    }
    // The table says it for positions ending: said once, with no chart above it.
    const ending = report('positions-ending');
    expect(await ending.locator('ra-report-chart').count()).toBe(0);
    expect(await ending.getByTestId('nothing-to-chart').count()).toBe(0);
    expect(await ending.getByTestId('table-positions-ending').textContent()).toContain(
      'No position ends in these dates.',
    );
    // The reports of today have something to chart, and draw it.
    for (const name of ['cards-by-state', 'system-access'] as const) {
      await report(name).locator('canvas').waitFor();
      expect(await report(name).getByTestId('nothing-to-chart').count(), name).toBe(0);
    }
  });

  it('offers a sponsor their organisation only, and a staff member no reports at all', async () => {
    await signIn(page, app.url, 'sponsor');
    await openReports();
    const options = await page
      .getByLabel('Organisation', { exact: true })
      .locator('option')
      .allTextContents();
    expect(options).toEqual(['All of yours', 'Watford General Hospital (RWG01)']);
    // Another organisation's reports, by a link: refused once, beside the organisation, whose
    // select names what was asked for.
    // The page knows the sponsor's organisations: it asks the server for no report it would
    // refuse (the server's 403 stays the guard, test/integration).
    const asked: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/reports/')) asked.push(path);
    });
    await page.goto(`${app.url}/reports?organisation=RWG02`);
    const refusal = page.getByTestId('organisation-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'You see reports for RWG01 only, and RWG02 is not among them.',
    );
    expect(asked).toEqual([]);
    expect(await page.getByTestId('reports-problem').count()).toBe(0);
    expect(await chosenOrganisation()).toBe('RWG02 (cannot be shown)');
    expect(await page.getByTestId('not-shown').count()).toBe(6);
    await page.context().clearCookies();

    const staff = await openPage(browser);
    try {
      await signIn(staff, app.url, 'staff');
      const nav = staff.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Reports' }).count()).toBe(0);
      await staff.goto(`${app.url}/reports`);
      await staff.getByRole('heading', { name: 'Not open to your role' }).waitFor();
    } finally {
      await staff.context().close();
    }
  });
});
