import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { axeViolations, inView, sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * The access screens as their users meet them: the sponsor's inbox and decision, the
 * positions catalogue's form, and a card holder's own access, at a desk and on a phone.
 */
describe('the access screens, in Chromium', () => {
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

  const go = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();

  it('shows the sponsor no Decide on their own request, and what a position grants when deciding', async () => {
    const consultant = await demoPositionId(app, 'Consultant Physician');
    // Sam Sponsor asks for a position for themselves; the agent asks one for Priya.
    const sponsor = await app.login('sponsor');
    const own = await post(app, sponsor, '/api/requests', {
      personId: await demoPersonId(app, 'Sam'),
      positionId: consultant,
      note: 'Covering consultant ward rounds',
    });
    expect(own.status).toBe(201);
    const agent = await app.login('agent');
    const priyas = await post(app, agent, '/api/requests', {
      personId: await demoPersonId(app, 'Priya'),
      positionId: consultant,
    });
    expect(priyas.status).toBe(201);

    await signIn(page, app.url, 'sponsor');
    await settleAfter(page, () => go('Requests'));
    const rows = page.getByTestId('request');
    await expect.poll(() => rows.count()).toBe(2);
    const ownRow = rows.filter({ hasText: 'Sam Sponsor' });
    expect(await ownRow.getByRole('button').count()).toBe(0);
    expect(await ownRow.textContent()).toContain('You raised it');
    await page.getByRole('button', { name: 'Decide the request for Priya Patel' }).click();
    const grants = page.getByTestId('grants');
    await grants.waitFor();
    const granted = (await grants.textContent()) ?? '';
    for (const words of [
      'Clinical Practitioner Access Role',
      'R8000',
      'Perform Detailed Health Record',
      'Gain Temporary Access to Patient Sealed Data',
      'SystmOne, e-RS, PACS, SUS',
    ]) {
      expect(granted).toContain(words);
    }
    await page.screenshot({ path: `${screenshotDir}/ra-decide-grants.png`, fullPage: true });
    expect(await axeViolations(page), 'the decision screen').toEqual([]);

    // Rejecting needs a reason: said beside the field, in view.
    await page.getByRole('button', { name: 'Reject' }).click();
    const problem = page.locator('#reason-error');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('Give a reason for rejecting');
    expect(await inView(page, page.locator('.error-summary'))).toBe(true);
    await page.getByLabel('Note or reason').fill('Priya is not a consultant');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Rejected: Consultant Physician for Priya Patel.').waitFor();
    // Nothing else waits for Sam: the navigation's count goes without leaving the page.
    await expect
      .poll(() =>
        page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: /^Requests/ })
          .textContent(),
      )
      .toBe('Requests');
  });

  it('shows every problem of a bad position form beside its field, in view', async () => {
    await page.setViewportSize({ width: 1366, height: 640 });
    await signIn(page, app.url, 'manager');
    await settleAfter(page, () => go('Positions'));
    await page.getByRole('button', { name: 'New position' }).click();
    await page.getByRole('heading', { name: 'New position' }).waitFor();
    const form = page.locator('ra-positions-page form.card');

    // The check list: a filter, a legend, real checkboxes.
    const roles = page.getByRole('group', { name: /Job roles/ });
    await roles.getByLabel('Filter job roles').fill('nurse');
    await expect.poll(() => roles.getByRole('checkbox').filter({ visible: true }).count()).toBe(2);
    await roles.getByLabel('Filter job roles').fill('');

    // No name, no job role: both said at once, each beside its field.
    await page.getByRole('button', { name: 'Create position' }).click();
    const summary = form.locator('.error-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toContain('There are 2 problems');
    expect(await summary.getByRole('link').allTextContents()).toEqual([
      'Name: Enter the name',
      'Job roles: Choose at least one job role',
    ]);
    expect(await inView(page, summary)).toBe(true);
    expect(await form.locator('#name-error').textContent()).toContain('Enter the name');
    expect(await roles.locator('#jobRoles-error').textContent()).toContain(
      'Choose at least one job role',
    );

    // The server's problems land the same way: a name another open position of RWG01 has.
    await page.getByLabel('Organisation', { exact: true }).last().selectOption('RWG01');
    await page.getByLabel('Name').fill('ward clerk');
    await roles.getByLabel(/R8010/).check();
    await page.getByRole('button', { name: 'Create position' }).click();
    const clash = form.locator('#name-error');
    await clash.waitFor();
    expect(await clash.textContent()).toContain(
      'RWG01 already has an open position called "Ward Clerk": choose another name.',
    );
    expect(await inView(page, summary)).toBe(true);
    await page.screenshot({ path: `${screenshotDir}/ra-position-form-errors.png` });
    expect(await axeViolations(page), 'the position form with problems').toEqual([]);

    // Put right, it is created with what was ticked.
    await page.getByLabel('Name').fill('Ward Clerk, Theatres');
    await page
      .getByRole('group', { name: /Workgroups/ })
      .getByLabel(/Theatres/)
      .check();
    await page.getByRole('button', { name: 'Create position' }).click();
    await page.getByText('Position "Ward Clerk, Theatres" created.').waitFor();
    const row = page.getByTestId('position').filter({ hasText: 'Ward Clerk, Theatres' });
    // What it grants by name, not by bare code.
    expect(await row.getByTestId('grants').first().textContent()).toContain(
      'Clerical Access Role (R8010)',
    );
  });

  it('offers a card holder their organisations’ positions, and says in view when the same request is open', async () => {
    await page.setViewportSize({ width: 390, height: 700 });
    await signIn(page, app.url, 'staff');
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    const position = page.getByLabel('Position', { exact: true });
    await position.waitFor();
    const offered = await position.locator('option').allTextContents();
    // Sky works for RWG01: not St Albans' Outpatient Receptionist.
    expect(offered.some((o) => o.startsWith('Ward Clerk (RWG01)'))).toBe(true);
    expect(offered.some((o) => o.includes('Outpatient Receptionist'))).toBe(false);

    // Meanwhile the same request is raised elsewhere (another tab): sending it again is refused.
    const clerk = await demoPositionId(app, 'Ward Clerk');
    const sky = await app.login('staff');
    expect(
      (
        await post(app, sky, '/api/requests', {
          personId: await demoPersonId(app, 'Sky'),
          positionId: clerk,
        })
      ).status,
    ).toBe(201);
    await position.selectOption(clerk);
    await page.getByLabel('Why is it needed?').fill('Covering the ward desk');
    await page.getByRole('button', { name: 'Send request' }).scrollIntoViewIfNeeded();
    await page.getByRole('button', { name: 'Send request' }).click();
    const beside = page.locator('ra-position-form #positionId-error');
    await beside.waitFor();
    expect(await beside.textContent()).toContain('The same request is already open.');
    expect(await inView(page, page.locator('ra-position-form .error-summary'))).toBe(true);
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/ra-my-access-duplicate.png` });
    expect(await axeViolations(page), 'My access with a refusal').toEqual([]);

    // The request they raised can be withdrawn from the list, after a confirmation.
    await page.getByRole('button', { name: 'Withdraw the request for Ward Clerk' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Withdraw request' }).click();
    const clerkRows = page.getByTestId('request').filter({ hasText: 'Ward Clerk' });
    await expect.poll(() => clerkRows.first().textContent()).toContain('Withdrawn');
    expect(await clerkRows.first().textContent()).toContain('Withdrawn by you');

    // Asked for again and sent, then withdrawn: the old "Request sent" goes, the withdrawal
    // says its own result.
    await position.selectOption(clerk);
    await page.getByRole('button', { name: 'Send request' }).click();
    const sent = page.getByText('Request sent. Your sponsor or the RA team will decide it.');
    await sent.waitFor();
    await page.getByRole('button', { name: 'Withdraw the request for Ward Clerk' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Withdraw request' }).click();
    await page.getByTestId('withdrawn-notice').waitFor();
    expect(await page.getByTestId('withdrawn-notice').textContent()).toContain(
      'Request for Ward Clerk withdrawn.',
    );
    expect(await sent.count()).toBe(0);
    await expect.poll(() => clerkRows.count()).toBe(2);
    for (const text of await clerkRows.allTextContents())
      expect(text).toContain('Withdrawn by you');
  });

  it('takes the request form away once a card holder has asked for every position they could', async () => {
    // Everything Sky may ask for but one is asked for already, elsewhere.
    const sky = await app.login('staff');
    const offered = await app.app.request('/api/me/requestable-positions', {
      headers: sky.headers,
    });
    const { items } = (await offered.json()) as {
      items: { id: string; name: string; availability: string }[];
    };
    const open = items.filter((p) => p.availability === 'requestable');
    expect(open.length).toBeGreaterThan(0);
    const skyId = await demoPersonId(app, 'Sky');
    for (const p of open.slice(1)) {
      const res = await post(app, sky, '/api/requests', { personId: skyId, positionId: p.id });
      expect(res.status).toBe(201);
    }
    const last = open[0];
    if (!last) throw new Error('no position left to ask for');

    await signIn(page, app.url, 'staff');
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    const position = page.getByLabel('Position', { exact: true });
    await position.selectOption(last.id);
    await page.getByRole('button', { name: 'Send request' }).click();
    const sent = page.getByText('Request sent. Your sponsor or the RA team will decide it.');
    await sent.waitFor();
    await page
      .getByText(
        'There is no position of your organisations that you do not hold or have not asked for already.',
      )
      .waitFor();
    // Nothing is left to ask for: no form to fill in, and the confirmation stays.
    expect(await position.count()).toBe(0);
    expect(await page.getByLabel('Start date').count()).toBe(0);
    expect(await page.getByLabel('Why is it needed?').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Send request' }).count()).toBe(0);
    expect(await sent.isVisible()).toBe(true);
    await page.screenshot({ path: `${screenshotDir}/ra-my-access-all-asked.png`, fullPage: true });

    // Withdrawn, the position can be asked for again: the form is back.
    await page.getByRole('button', { name: `Withdraw the request for ${last.name}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Withdraw request' }).click();
    await page.getByTestId('withdrawn-notice').waitFor();
    await position.waitFor();
    expect(await sent.count()).toBe(0);
  });

  it('shows a signed-in card holder Check my card inside the app, with the navigation', async () => {
    await signIn(page, app.url, 'staff');
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    await settleAfter(page, () => page.getByRole('link', { name: 'check your card' }).click());
    await page.getByRole('heading', { name: 'Check my card' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/check-card');
    expect(await page.title()).toBe('Check my card – Smartcard RA');
    // The way back is the navigation; nobody signed in is offered "Sign in".
    expect(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'My access' })
        .isVisible(),
    ).toBe(true);
    expect(
      await page
        .getByRole('navigation', { name: 'Your account' })
        .getByRole('link', { name: 'Check my card' })
        .getAttribute('aria-current'),
    ).toBe('page');
    expect(await page.getByRole('link', { name: 'Sign in to Smartcard RA' }).count()).toBe(0);
    expect(await page.locator('main').count()).toBe(1);
    expect(await axeViolations(page), 'Check my card, signed in').toEqual([]);
  });

  it('opens an ID checker’s My access on their positions, not on a refusal', async () => {
    await signIn(page, app.url, 'idchecker');
    await settleAfter(page, () => go('My access'));
    expect(await page.getByRole('alert').count()).toBe(0);
    const offered = await page
      .getByLabel('Position', { exact: true })
      .locator('option')
      .allTextContents();
    expect(offered.some((o) => o.includes('Outpatient Receptionist (RWG02)'))).toBe(true);
  });

  it('lets none of the access screens scroll sideways at 390 pixels', async () => {
    // Something to decide, whatever the tests before left.
    const raised = await post(app, await app.login('agent'), '/api/requests', {
      personId: await demoPersonId(app, 'Zoë'),
      positionId: await demoPositionId(app, 'Staff Nurse, Acute Medical Unit'),
    });
    expect(raised.status).toBe(201);
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, app.url, 'manager');
    for (const [path, open] of [
      ['/requests', 'Decide'],
      ['/positions', 'New position'],
      ['/my-access', null],
    ] as const) {
      await settleAfter(page, () => page.goto(`${app.url}${path}`));
      expect(await sidewaysOverflow(page), path).toEqual([]);
      if (open) {
        await settleAfter(page, () => page.getByRole('button', { name: open }).first().click());
        expect(await sidewaysOverflow(page), `${path} with ${open}`).toEqual([]);
      }
      await page.screenshot({
        path: `${screenshotDir}/ra${path.replace('/', '-')}-390.png`,
        fullPage: true,
      });
    }
  });
});
