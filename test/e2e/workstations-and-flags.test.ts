import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { cards } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openFromNav,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

const day = 86_400_000;

describe('workstations and card flags, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let agentHeaders: Record<string, string>;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    page = await openPage(browser);
    await signIn(page, app.url, 'manager');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const nav = (label: string) => openFromNav(page, label);

  it('names every missing field of a new workstation at once, beside it, before sending', async () => {
    await nav('Workstations');
    await page.getByRole('heading', { name: 'Workstations', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Register and get a code' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'Name: Enter the name',
      'Organisation: Choose the organisation',
    ]);
    expect(await page.locator('#name-error').textContent()).toContain('Enter the name');
    expect(await page.locator('#odsCode-error').textContent()).toContain('Choose the organisation');
    expect(await summary.evaluate((el) => el.matches(':focus'))).toBe(true);
  });

  it('registers a workstation and shows its one-time code and the command to enrol it', async () => {
    await page.getByLabel('Name').fill('AMU desk 1');
    await page.getByLabel('Location').fill('Acute Medical Unit, ground floor');
    await page.getByLabel('Organisation').selectOption('RWG01');
    await page.getByRole('button', { name: 'Register and get a code' }).click();
    const code = (await page.getByTestId('enrolment-code').textContent())?.trim() ?? '';
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(await page.getByTestId('enrol-command').textContent()).toBe(
      `npm run agent -- enrol --server ${app.url} --code ${code}`,
    );
    const row = page.getByTestId('workstation').filter({ hasText: 'AMU desk 1' });
    expect(await row.textContent()).toContain('awaiting enrolment');

    // The agent enrols with the code read off the screen.
    const res = await app.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(res.status).toBe(201);
    const { credential } = (await res.json()) as { credential: string };
    agentHeaders = { 'content-type': 'application/json', authorization: `Bearer ${credential}` };
  });

  it('lists the flags an agent raised, with the holder, the systems at risk and what to do', async () => {
    const [priya] = await app.db
      .select({ id: people.id })
      .from(people)
      .where(and(eq(people.givenName, 'Priya'), eq(people.familyName, 'Patel')));
    const [consultant] = await app.db
      .select({ id: positions.id })
      .from(positions)
      .where(eq(positions.name, 'Consultant Physician'));
    if (!priya || !consultant) throw new Error('the demo trust has changed');
    const now = app.clock.now();
    await app.db.insert(assignments).values({
      personId: priya.id,
      positionId: consultant.id,
      startDate: now.toISOString().slice(0, 10),
      createdAt: now,
    });
    // Issuing cards comes with the card lifecycle; until then the record is written here.
    const serial = randomUUID().replace(/-/g, '');
    await app.db
      .insert(cards)
      .values({ serial, personId: priya.id, state: 'active', createdAt: now, updatedAt: now });
    const notAfter = new Date(now.getTime() + 45.5 * day);
    const res = await app.app.request('/api/agent/observations', {
      method: 'POST',
      headers: agentHeaders,
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        sequence: 1,
        observedAt: now.toISOString(),
        kind: 'card_inserted',
        reader: 'Reader 0',
        atr: '3b8c80',
        cardSerial: serial,
        card: {
          cardType: 'PIV',
          chuid: null,
          certificates: [
            {
              slot: '9a',
              certificate: {
                subject: 'CN=Priya Patel',
                issuer: 'CN=Someone Else CA',
                serialNumber: '01',
                notBefore: new Date(now.getTime() - 600 * day).toISOString(),
                notAfter: notAfter.toISOString(),
                keyUsage: [],
                extendedKeyUsage: [],
                email: null,
                upn: null,
                sha256: 'ab'.repeat(32),
              },
            },
          ],
          pin: { triesLeft: 0, blocked: true, verified: false },
        },
        error: null,
      }),
    });
    expect(res.status).toBe(201);

    await nav('Card flags');
    await page.getByRole('heading', { name: 'Card flags' }).waitFor();
    const flags = page.getByTestId('flag');
    await flags.first().waitFor();
    // Most urgent first: the blocked PIN, the foreign certificate, then the expiry.
    expect(await flags.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).toEqual(
      ['pin_blocked', 'foreign_certificate', 'certificate_expiring'],
    );
    const blocked = flags.first();
    expect(await blocked.getByRole('link', { name: 'Priya Patel' }).getAttribute('href')).toBe(
      `/people/${priya.id}`,
    );
    // The card is on record: its shortened serial leads to its page.
    expect(
      await blocked.getByRole('link', { name: `${serial.slice(0, 8)}…` }).getAttribute('href'),
    ).toBe(`/cards/${serial}`);
    const text = (await blocked.textContent()) ?? '';
    expect(text).toContain('e-RS, PACS, SUS, SystmOne');
    expect(text).toContain('unlocks it with the card present');
    expect(await flags.nth(2).textContent()).toContain('expires in 45 days');

    await page.getByLabel('Flag').selectOption('certificate_expiring');
    await expect.poll(() => flags.count()).toBe(1);
    expect(await flags.first().getAttribute('data-kind')).toBe('certificate_expiring');
    await page.getByLabel('Flag').selectOption('pin_last_try');
    const none = page.getByTestId('no-flags');
    await none.waitFor();
    expect(await none.textContent()).toBe('No open ‘PIN on last try’ flags: nothing to act on.');
    // None resolved either: which is no call to act.
    await page.getByLabel('Showing').selectOption('resolved');
    await expect.poll(() => none.textContent()).toBe('No resolved ‘PIN on last try’ flags.');
    expect(new URL(page.url()).search).toBe('?kind=pin_last_try&status=resolved');
    await page.getByLabel('Showing').selectOption('open');
    await page.getByLabel('Flag').selectOption('');
    await expect.poll(() => flags.count()).toBe(3);
    expect(await page.getByTestId('flag-count').textContent()).toBe('3 flags');
    await page.screenshot({ path: `${screenshotDir}/ra-card-flags.png`, fullPage: true });
    // On a phone the table becomes one block per flag, each value named: nothing goes sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      expect(await sidewaysOverflow(page)).toEqual([]);
      await page.screenshot({ path: `${screenshotDir}/ra-card-flags-390.png`, fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1366, height: 768 });
    }

    // The holder's page shows the card, its certificate's days left and its open flags.
    await flags.first().getByRole('link', { name: 'Priya Patel' }).click();
    const personCards = page.getByTestId('person-cards');
    await personCards.waitFor();
    const row = (await personCards.locator('tbody tr').first().textContent()) ?? '';
    expect(row).toContain('Active');
    expect(row).toContain('AMU desk 1');
    expect(row).toContain('PIN blocked');

    // A card the RA has no record of: its holder is not known here, and it has no page.
    const stranger = randomUUID().replace(/-/g, '');
    const seen = await app.app.request('/api/agent/observations', {
      method: 'POST',
      headers: agentHeaders,
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        sequence: 2,
        observedAt: now.toISOString(),
        kind: 'card_inserted',
        reader: 'Reader 0',
        atr: '3b8c80',
        cardSerial: stranger,
        card: {
          cardType: 'PIV',
          chuid: null,
          certificates: [],
          pin: { triesLeft: 0, blocked: true, verified: false },
        },
        error: null,
      }),
    });
    expect(seen.status, await seen.clone().text()).toBe(201);
    await nav('Card flags');
    const unknown = flags.filter({ hasText: `${stranger.slice(0, 8)}…` });
    await unknown.first().waitFor();
    const unknownText = (await unknown.first().textContent()) ?? '';
    expect(unknownText).toContain('Holder not known here');
    expect(unknownText).toContain('not on record');
    expect(await unknown.first().getByRole('link').count()).toBe(0);
  });

  it('shows the workstation enrolled and reporting, and revoking it cuts the agent off', async () => {
    await nav('Workstations');
    const row = page.getByTestId('workstation').filter({ hasText: 'AMU desk 1' });
    await expect.poll(() => row.textContent()).toContain('enrolled');
    expect(await row.textContent()).not.toContain('never');

    await row.getByRole('button', { name: 'Revoke AMU desk 1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke AMU desk 1' });
    await dialog.waitFor();
    // A revocation needs its reason: asked in the dialog, not refused after a round trip.
    await dialog.getByRole('button', { name: 'Revoke workstation' }).click();
    await dialog.getByText('Give a reason').waitFor();
    await page.getByLabel('Reason').fill('PC replaced');
    await page.getByRole('button', { name: 'Revoke workstation' }).click();
    await page.getByText('Workstation "AMU desk 1" is revoked').waitFor();
    await expect.poll(() => row.textContent()).toContain('PC replaced');

    const res = await app.app.request('/api/agent/observations', {
      method: 'POST',
      headers: agentHeaders,
      body: JSON.stringify({}),
    });
    expect(res.status).toBe(401);
  });
});
