import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { registerActivePerson } from '../support/people.ts';
import { inView, sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  settleAfter,
  signIn,
  startApp,
} from './support/browser.ts';
import { pressMoreHeldBack } from './support/long-lists.ts';

/**
 * The people screens as RA staff use them all day: finding someone, registering them with
 * every problem shown at once, and looking after their record.
 */
describe('the people screens, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const personNamed = async (givenName: string) => {
    const [row] = await app.db.select().from(people).where(eq(people.givenName, givenName));
    if (!row) throw new Error(`no person ${givenName}`);
    return row;
  };

  it('registers with every problem shown at once, by label, beside its field, the summary in view', async () => {
    const page = await openPage(browser);
    await signIn(page, app.url, 'idchecker');
    await page.goto(`${app.url}/register`);
    // Organisations are chosen from those the ID checker registers people in: none is typed.
    const organisations = page.getByRole('group', { name: /^Organisations/ });
    await organisations.waitFor();
    expect(await organisations.getByRole('checkbox').count()).toBe(3);
    expect(await page.getByRole('textbox', { name: 'Organisations' }).count()).toBe(0);
    await page.getByLabel('Given name').fill('Quentin');
    await page.getByLabel('Work email').fill('not-an-email');
    await page.getByLabel('Phone').fill('call me');
    await page.getByRole('button', { name: 'Continue' }).click();

    const summary = page.locator('ra-register-page .error-summary');
    await summary.waitFor();
    expect(await summary.getByRole('heading').textContent()).toBe('There are 5 problems');
    const items = await summary.getByRole('listitem').allTextContents();
    expect(items.map((i) => i.split(':')[0])).toEqual([
      'Family name',
      'Date of birth',
      'Work email',
      'Phone',
      'Organisations',
    ]);
    expect(items[0]).toBe('Family name: Enter the family name');
    expect(items[4]).toBe('Organisations: Choose at least one organisation');
    expect(items.join('\n')).not.toMatch(/familyName|dateOfBirth|odsCodes/);
    expect(await inView(page, summary)).toBe(true);
    expect(await summary.evaluate((el) => el.matches(':focus'))).toBe(true);
    // Each message sits beside its field and is tied to it for a screen reader.
    const email = page.getByLabel('Work email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    const described = await email.getAttribute('aria-describedby');
    expect(await page.locator(`ra-register-page #${described}`).textContent()).toContain(
      'email address',
    );
    await page.screenshot({ path: `${screenshotDir}/ra-register-problems.png`, fullPage: true });

    // Formats right: what only the server knows (a username taken) comes next, by label.
    await page.getByLabel('Family name').fill('Quarrie');
    await page.getByLabel('Date of birth').fill('1988-06-01');
    await page.getByLabel('Work email').fill('quentin.quarrie@demo.nhs.example');
    await page.getByLabel('Phone').fill('01727 000111');
    await organisations.getByRole('checkbox', { name: /RWG01/ }).check();
    await page.getByLabel('Login username').fill('manager');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect
      .poll(() => summary.getByRole('listitem').allTextContents())
      .toEqual([expect.stringMatching(/^Login username: .*taken/)]);
    expect(await inView(page, summary)).toBe(true);

    // Then the documents: an empty number is named once, by its own label beside it.
    await page.getByLabel('Login username').fill('');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('group', { name: 'Document 1' }).waitFor();
    const type = (n: number) => page.getByLabel('Type').nth(n);
    await type(1).selectOption('p45_p60');
    await page.getByLabel('Document number').nth(0).fill('QQ1234567');
    await page.getByLabel('Expires').nth(0).fill('2020-01-01');
    await page.getByLabel('Document number').nth(1).fill('P60-2025-QQ');
    await page.getByRole('button', { name: 'Record identity check' }).click();
    const documentsSummary = page.locator('ra-register-page .error-summary');
    await documentsSummary.waitFor();
    expect(await documentsSummary.getByRole('listitem').allTextContents()).toEqual([
      'Document 3: Document number: Enter the document number',
    ]);
    expect(
      await page.locator('ra-register-page #documents\\.2\\.number-error').textContent(),
    ).toMatch(/^\s*Error: Enter the document number\s*$/);

    // Two problems of the server's at once, each by its document.
    await page.getByLabel('Document number').nth(2).fill('BC-QQ-1988');
    await page.getByRole('button', { name: 'Record identity check' }).click();
    await expect
      .poll(async () => (await documentsSummary.getByRole('listitem').allTextContents()).join('\n'))
      .toContain('Document 1: Expires');
    const problems = await documentsSummary.getByRole('listitem').allTextContents();
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems).toContain(
      'Documents seen in person: At least one document must be a proof of address, such as a utility bill',
    );
    expect(await inView(page, documentsSummary)).toBe(true);
    await page.context().close();
  });

  it('shows a long search 25 at a time, says more match, and shows the next with More', async () => {
    const registered = 27;
    const idchecker = await app.login('idchecker');
    for (let n = 0; n < registered; n++) {
      const res = await app.app.request('/api/people', {
        method: 'POST',
        headers: idchecker.headers,
        body: JSON.stringify({
          givenName: `Page${'abcdefghijklmnopqrstuvwxyz'[n % 26]}${n < 26 ? '' : 'x'}`,
          familyName: 'Searchpager',
          dateOfBirth: `1980-01-${String(n + 1).padStart(2, '0')}`,
          email: `searchpager${n}@demo.nhs.example`,
          odsCodes: ['RWG01'],
        }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/people`);
    await page.getByLabel('Name, user ID, email or card serial').fill('searchpager');
    await settleAfter(page, () => page.getByRole('button', { name: 'Search' }).click());
    const rows = page.getByTestId('person');
    const countLine = page.getByRole('status').filter({ hasText: 'found' });
    await expect.poll(() => rows.count()).toBe(25);
    expect(await countLine.textContent()).toBe(
      '25 people found so far. There are more: More shows up to 25 of them.',
    );

    // While the next page comes, the button says so and cannot be pressed twice.
    await pressMoreHeldBack(page, /\/api\/people\?.*cursor=/);
    await expect.poll(() => rows.count()).toBe(registered);
    expect(await countLine.textContent()).toBe(`${registered} people found`);
    expect(await page.getByRole('button', { name: 'More' }).count()).toBe(0);
    await page.context().close();
  });

  it('finds people by any word of their name and by card serial, and says what to do when nobody matches', async () => {
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/people`);
    const search = async (q: string) => {
      await page.getByLabel('Name, user ID, email or card serial').fill(q);
      await settleAfter(page, () => page.getByRole('button', { name: 'Search' }).click());
    };
    await search('briain');
    expect(await page.getByRole('status').filter({ hasText: 'found' }).textContent()).toBe(
      '1 person found',
    );
    expect(await page.getByTestId('person').textContent()).toContain('Ó Briain, Zoë');

    const priya = await personNamed('Priya');
    const serial = '5F3C9A7E21B04D6880AA11CC22DD33EE';
    const now = app.clock.now();
    await app.db
      .insert(cards)
      .values({ serial, personId: priya.id, state: 'active', createdAt: now, updatedAt: now });
    await search(serial);
    expect(await page.getByTestId('person').allTextContents()).toEqual([
      expect.stringContaining('Patel, Priya'),
    ]);
    await search(serial.slice(0, 10).toLowerCase());
    expect(await page.getByTestId('person').count()).toBe(1);

    await search('Nobodyatall');
    const nobody = page.getByText('Nobody matches');
    await nobody.waitFor();
    expect(await nobody.getByRole('link', { name: 'register them' }).count()).toBe(1);
    await page.context().close();

    // An LSA may not register: they are not offered it.
    const lsaPage = await openPage(browser);
    await signIn(lsaPage, app.url, 'lsa');
    await lsaPage.goto(`${app.url}/people?q=Nobodyatall`);
    const told = lsaPage.getByText('Nobody matches');
    await told.waitFor();
    expect(await told.textContent()).toContain('ask your RA team to register them');
    // The LSA finds only people of their own site, and is told so.
    expect(await told.textContent()).toContain(
      'among the people of St Albans City Hospital (RWG02), the only people you can find',
    );
    expect(await told.getByRole('link').count()).toBe(0);
    await lsaPage.context().close();
  });

  it('edits, suspends with a reason in a dialog, reactivates and closes a person', async () => {
    const idchecker = await app.login('idchecker');
    const { id } = await registerActivePerson(app, idchecker, {
      givenName: 'Imelda',
      familyName: 'Keeper',
      passport: 'K5000001',
    });
    const page = await openPage(browser);
    // An advanced agent: they act on the person and read the history those acts write.
    await signIn(page, app.url, 'advanced');
    await page.goto(`${app.url}/people/${id}`);
    await page.getByRole('heading', { name: 'Imelda Keeper' }).waitFor();
    expect(await page.title()).toContain('Imelda Keeper');
    const status = page.getByTestId('person-status');
    expect(await status.textContent()).toBe('Active');
    // What RA staff may do to an active person, and nothing else.
    for (const name of ['Edit details', 'Suspend', 'Close record'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(1);
    expect(await page.getByRole('button', { name: 'Reactivate' }).count()).toBe(0);

    // Edit: a bad email is shown by its label, then the fix is saved.
    await page.getByRole('button', { name: 'Edit details' }).click();
    await page.getByLabel('Work email').fill('imelda-at-example');
    await page.getByLabel('Phone').fill('01923 111222');
    await page.getByRole('button', { name: 'Save details' }).click();
    const summary = page.locator('ra-person-page .error-summary');
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^Work email: /),
    ]);
    await page.getByLabel('Work email').fill('imelda.keeper@demo.nhs.example');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByText('Details saved.').waitFor();
    await page.getByRole('region', { name: 'Details' }).getByText('01923 111222').waitFor();

    // Suspend: the dialog wants a reason.
    await page.getByRole('button', { name: 'Suspend' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspend Imelda Keeper' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await dialog.getByText('Give a reason').waitFor();
    await dialog.getByLabel('Why are they being suspended?').fill('On secondment for six months');
    await page.screenshot({ path: `${screenshotDir}/ra-person-suspend.png` });
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await page.getByText('Imelda Keeper is suspended.').waitFor();
    await expect.poll(() => status.textContent()).toBe('Suspended');
    // The history tells of it at once, without a reload.
    const history = page.getByTestId('history-event');
    await expect.poll(() => history.first().textContent()).toContain('suspended Imelda Keeper');
    expect(await page.getByRole('button', { name: 'Suspend' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Reactivate' }).click();
    const back = page.getByRole('dialog', { name: 'Reactivate Imelda Keeper' });
    await back.getByLabel('Why are they being reactivated?').fill('Back from secondment');
    await back.getByRole('button', { name: 'Reactivate' }).click();
    await expect.poll(() => status.textContent()).toBe('Active');

    await page.getByRole('button', { name: 'Close record' }).click();
    const closing = page.getByRole('dialog', { name: 'Close Imelda Keeper' });
    await closing.getByLabel('Why is their record being closed?').fill('Left the trust');
    await closing.getByRole('button', { name: 'Close record' }).click();
    await expect.poll(() => status.textContent()).toBe('Closed');
    await expect
      .poll(() => history.first().textContent())
      .toContain('closed Imelda Keeper’s record');
    // A closed record offers nothing more.
    for (const name of ['Edit details', 'Suspend', 'Close record', 'Reactivate'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await page.context().close();
  });

  it('assigns from the positions the server offers, and removes with a reason in a dialog', async () => {
    const idchecker = await app.login('idchecker');
    const { id } = await registerActivePerson(app, idchecker, {
      givenName: 'Oswin',
      familyName: 'Holder',
      passport: 'H6000001',
    });
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/people/${id}`);
    await page.getByRole('heading', { name: 'Oswin Holder' }).waitFor();
    await page.getByText('Assign a position').click();
    const form = page.locator('ra-give-position-form[mode="assign"]');
    const options = await form.getByLabel('Position').locator('option').allTextContents();
    // RWG01's positions: a person of RWG01 is offered no position of RWG02.
    expect(options.join('\n')).toContain('Ward Clerk');
    expect(options.join('\n')).not.toContain('Outpatient Receptionist');
    await form.getByRole('button', { name: 'Assign' }).click();
    expect(await form.locator('.error-summary li').allTextContents()).toEqual([
      'Position: Choose the position',
    ]);
    await form
      .getByLabel('Position')
      .selectOption({ label: (options.find((o) => o.startsWith('Ward Clerk')) ?? '').trim() });
    await form.getByRole('button', { name: 'Assign' }).click();
    await form.getByText('Ward Clerk assigned to Oswin Holder.').waitFor();
    const held = page.getByTestId('assignment');
    await expect.poll(() => held.count()).toBe(1);

    await page.getByRole('button', { name: 'Remove Ward Clerk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove Ward Clerk' });
    await dialog.getByLabel('Why is it being removed?').fill('Moved to the day unit');
    await dialog.getByRole('button', { name: 'Remove position' }).click();
    await page.getByText('Ward Clerk removed from Oswin Holder.').waitFor();
    await expect.poll(() => held.first().textContent()).toContain('Moved to the day unit');
    expect(await page.getByRole('button', { name: 'Remove Ward Clerk' }).count()).toBe(0);
    await page.context().close();
  });

  it('scrolls no page of people sideways at 390 pixels', async () => {
    const page = await openPage(browser);
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, app.url, 'manager');
    const priya = await personNamed('Priya');
    const screens: [string, string, () => Promise<unknown>][] = [
      ['people', '/people?q=p', () => page.getByTestId('person').first().waitFor()],
      [
        'person',
        `/people/${priya.id}`,
        () => page.getByRole('heading', { name: 'Priya Patel' }).waitFor(),
      ],
      ['register', '/register', () => page.getByLabel('Given name').waitFor()],
      ['profile', '/profile', () => page.getByRole('heading', { name: 'My profile' }).waitFor()],
    ];
    for (const [name, path, ready] of screens) {
      await settleAfter(page, () => page.goto(`${app.url}${path}`));
      await ready();
      await page.screenshot({ path: `${screenshotDir}/ra-${name}-390.png`, fullPage: true });
      expect(await sidewaysOverflow(page), name).toEqual([]);
    }
    // The registration's second step too, with its document rows.
    const pending = await app.login('idchecker');
    const res = await app.app.request('/api/people', {
      method: 'POST',
      headers: pending.headers,
      body: JSON.stringify({
        givenName: 'Narrow',
        familyName: 'Screen',
        dateOfBirth: '1990-09-09',
        odsCodes: ['RWG01'],
      }),
    });
    const { id } = (await res.json()) as { id: string };
    await settleAfter(page, () => page.goto(`${app.url}/register?person=${id}`));
    await page.getByRole('group', { name: 'Document 1' }).waitFor();
    expect(await sidewaysOverflow(page), 'identity check').toEqual([]);
    // The tab names the page as its heading does.
    expect(await page.title()).toContain('Record an identity check');
    await page.context().close();
  });
});
