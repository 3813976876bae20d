import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { createCard } from '../support/card-fixtures.ts';
import { axeViolations, fieldsWithoutLabel, sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

const day = 86_400_000;

/**
 * The card lifecycle on a card's page, as an RA agent works it: a card reported missing is
 * suspended, turns up and is reinstated, then is lost for good and cancelled with the reason
 * picked in the dialog; the state, the certificates' status and the history follow each
 * move. Those who may not move a card see no button for it.
 */
describe('a card’s lifecycle on its page, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let priya: string;
  let sky: string;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
    const personOf = async (givenName: string) => {
      const [row] = await app.db
        .select({ id: people.id })
        .from(people)
        .where(eq(people.givenName, givenName));
      if (!row) throw new Error(`no demo person ${givenName}`);
      return row.id;
    };
    priya = await personOf('Priya');
    sky = await personOf('Sky');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /**
   * An active card with its two certificates, as the demo records them (not from our CA),
   * ending in 300 days unless `endsInDays` says otherwise (negative: expired).
   */
  async function activeCard(personId: string, endsInDays = 300) {
    const card = await createCard(app, { state: 'active', personId });
    const now = app.clock.now();
    for (const slot of ['9a', '9c']) {
      await app.db.insert(certificates).values({
        cardId: card.id,
        personId,
        slot,
        serialNumber: randomBytes(16).toString('hex'),
        subject: 'CN=Test Holder, O=RWG',
        issuer: 'CN=Demo CA',
        sha256: randomBytes(32).toString('hex'),
        notBefore: new Date(now.getTime() - 30 * day),
        notAfter: new Date(now.getTime() + endsInDays * day),
        createdAt: now,
      });
    }
    return card.serial;
  }

  const buttonsOf = async (page: Page) =>
    (await page.locator('ra-card-page .heading .actions button').allTextContents()).map((t) =>
      t.trim(),
    );
  const certificateStates = async (page: Page) =>
    (await page.getByTestId('certificate-state').allTextContents()).map((t) => t.trim());
  const historyText = async (page: Page) =>
    (await page.getByTestId('history-event').allTextContents()).join('\n').replace(/\s+/g, ' ');

  it('suspends a card, reinstates it, then cancels it as lost: state, certificates and history follow', async () => {
    const serial = await activeCard(priya);
    const page = await openPage(browser);
    await signIn(page, app.url, 'advanced');
    await settleAfter(page, () => page.goto(`${app.url}/cards/${serial}`));
    await page.getByRole('heading', { name: `Card ${serial.slice(0, 8)}…` }).waitFor();
    expect(await page.getByTestId('state').textContent()).toBe('Active');
    expect(await buttonsOf(page)).toEqual(['Suspend (reported missing)', 'Cancel card']);
    expect(await certificateStates(page)).toEqual(['Valid', 'Valid']);

    // Reported missing: suspended, its certificates on hold.
    await page.getByRole('button', { name: 'Suspend (reported missing)' }).click();
    const dialog = page.getByRole('dialog');
    // What the dialog says, slotted into it from the page.
    const said = async () => (await page.locator('ra-card-page ra-dialog').textContent()) ?? '';
    await dialog.waitFor();
    expect(await said()).toContain('put on hold at once');
    // It opens on its way out, so a stray Enter does not suspend the card.
    await expect
      .poll(() =>
        dialog.getByRole('button', { name: 'Go back' }).evaluate((b) => b.matches(':focus')),
      )
      .toBe(true);
    await settleAfter(page, () => dialog.getByRole('button', { name: 'Suspend card' }).click());
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Suspended');
    expect(await page.getByTestId('state-reason').textContent()).toBe('reported missing');
    expect(await page.getByRole('status').first().textContent()).toContain(
      'its certificates are on hold',
    );
    expect(await certificateStates(page)).toEqual(['On hold', 'On hold']);
    expect(await buttonsOf(page)).toEqual(['Reinstate', 'Cancel card']);
    await expect
      .poll(() => historyText(page))
      .toMatch(
        /suspended Priya Patel’s card [0-9a-f]{8}…, reported missing; 2 certificates put on hold/,
      );

    // It turned up: reinstated, the hold released.
    await page.getByRole('button', { name: 'Reinstate' }).click();
    await dialog.waitFor();
    expect(await said()).toContain('The hold on its certificates is released');
    await settleAfter(page, () => dialog.getByRole('button', { name: 'Reinstate card' }).click());
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Active');
    expect(await certificateStates(page)).toEqual(['Valid', 'Valid']);
    await expect
      .poll(() => historyText(page))
      .toMatch(/reinstated Priya Patel’s card [0-9a-f]{8}…; 2 certificates released from hold/);

    // Lost for good: the dialog warns, asks why, and will not go on without a reason.
    await page.getByRole('button', { name: 'Cancel card' }).click();
    await dialog.waitFor();
    const warning = await said();
    expect(warning).toContain('This is final');
    expect(warning).toContain('its certificates are revoked at once');
    const reasons = dialog.getByRole('group', { name: 'Why is the card being cancelled?' });
    expect(
      await reasons
        .getByRole('radio')
        .evaluateAll((r) => r.map((x) => x.parentElement?.textContent?.trim())),
    ).toEqual(['lost', 'stolen', 'damaged', 'the holder left', 'replaced by another card']);
    expect(await fieldsWithoutLabel(page)).toEqual([]);
    expect(await axeViolations(page), 'the cancel dialog').toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel card' }).click();
    await dialog.getByText('Choose a reason').waitFor();
    expect(await page.getByTestId('state').textContent()).toBe('Active');
    await reasons.getByLabel('lost', { exact: true }).check();
    await page.screenshot({ path: `${screenshotDir}/ra-card-cancel-dialog.png` });
    await settleAfter(page, () => dialog.getByRole('button', { name: 'Cancel card' }).click());
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Cancelled');
    expect(await page.getByTestId('state-reason').textContent()).toBe('lost');
    expect(await certificateStates(page)).toEqual([
      'Revoked (key compromise)',
      'Revoked (key compromise)',
    ]);
    // Cancelled is final for the holder: only the plastic's return is left.
    expect(await buttonsOf(page)).toEqual(['Record as returned']);
    await expect
      .poll(() => historyText(page))
      .toMatch(/cancelled Priya Patel’s card [0-9a-f]{8}…: lost; 2 certificates revoked/);
    expect(await axeViolations(page), 'the cancelled card').toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-card-cancelled.png`, fullPage: true });
    await page.context().close();
  });

  it('shows a sponsor and a card holder no button to move a card', async () => {
    const priyas = await activeCard(priya);
    const skys = await activeCard(sky);
    for (const [username, serial] of [
      ['sponsor', priyas],
      ['staff', skys],
    ] as const) {
      const page = await openPage(browser);
      await signIn(page, app.url, username);
      await settleAfter(page, () => page.goto(`${app.url}/cards/${serial}`));
      await page.getByRole('heading', { name: `Card ${serial.slice(0, 8)}…` }).waitFor();
      expect(await page.getByTestId('state').textContent(), username).toBe('Active');
      expect(await buttonsOf(page), username).toEqual([]);
      for (const name of [/Suspend/, /Reinstate/, /Cancel/, /returned/, /stock/, /destroyed/]) {
        expect(await page.getByRole('button', { name }).count(), `${username} ${name}`).toBe(0);
      }
      // The holder's name links to their person page only for those who may open it: a
      // card holder sees their own card, not the people pages.
      expect(
        await page.locator('ra-card-page a[href^="/people/"]').count(),
        `${username}: link to the holder's page`,
      ).toBe(username === 'sponsor' ? 1 : 0);
      await page.context().close();
    }
  });

  it('calls an expired certificate expired, and does not say cancelling revoked it', async () => {
    const serial = await activeCard(priya, -3);
    const page = await openPage(browser);
    await signIn(page, app.url, 'advanced');
    await settleAfter(page, () => page.goto(`${app.url}/cards/${serial}`));
    await page.getByRole('heading', { name: `Card ${serial.slice(0, 8)}…` }).waitFor();
    expect(await certificateStates(page)).toEqual(['Expired', 'Expired']);
    await page.getByRole('button', { name: 'Cancel card' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const warning = (await page.locator('ra-card-page ra-dialog').textContent()) ?? '';
    expect(warning).toContain('This is final');
    expect(warning).not.toContain('revoked');
    await dialog.getByLabel('damaged', { exact: true }).check();
    await settleAfter(page, () => dialog.getByRole('button', { name: 'Cancel card' }).click());
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Cancelled');
    expect(await page.getByRole('status').first().textContent()).toBe(
      'The card is cancelled (damaged).',
    );
    expect(await certificateStates(page)).toEqual(['Expired', 'Expired']);
    await page.context().close();
  });

  it('fits a 390-pixel phone without sideways scrolling, dialog open or not', async () => {
    const serial = await activeCard(priya);
    const page = await openPage(browser);
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, app.url, 'advanced');
    await settleAfter(page, () => page.goto(`${app.url}/cards/${serial}`));
    await page.getByRole('button', { name: 'Cancel card' }).waitFor();
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-card-actions-390.png`, fullPage: true });
    await page.getByRole('button', { name: 'Cancel card' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-card-cancel-dialog-390.png` });
    await page.getByRole('dialog').getByRole('button', { name: 'Keep the card' }).click();
    expect(await page.getByTestId('state').textContent()).toBe('Active');
    await page.context().close();
  });
});
