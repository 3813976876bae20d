import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJobs } from '../../db/schema/card-jobs.ts';
import { cardLocations, cards } from '../../db/schema/cards.ts';
import { find } from '../../reader/piv/tlv.ts';
import { blankProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { demoActor } from '../../server/services/demo/seed-demo-activity.ts';
import { importCards } from '../../server/services/stock/import-cards.ts';
import { tool } from '../reader/tools.ts';
import { newStarter } from '../support/card-jobs.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { type Pcscd, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { testCaPassphrase } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { sidewaysOverflow } from './support/accessibility.ts';
import {
  launchChromium,
  openPage,
  type RunningApp,
  screenshotDir,
  signIn,
  startApp,
} from './support/browser.ts';

/**
 * Card jobs end to end, as at the RA desk: the real server on a real port, the real reader
 * agent (`npm run agent -- watch`, enrolled as a workstation) on the real pcscd with the PIV
 * simulator's blank card, and the pages in Chromium. An RA agent issues the card to a new
 * starter with the PIN the holder types, sees each step and the systems they can use, then
 * unlocks it at the desk with a new PIN. The PIN goes to the agent on 127.0.0.1, never to the
 * server: no request to the server's origin carries it.
 */
describe('card jobs on the pages, with the reader agent and a simulated card, in Chromium', () => {
  let pcscd: Pcscd;
  let app: RunningApp;
  let browser: Browser;
  let dir: string;
  let card: SimulatedCard;
  let serial: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let agentPort = '';
  let person: { id: string; name: string };
  const pins = ['246813', '97531864', '13572468'];

  beforeAll(async () => {
    [pcscd, app, browser] = await Promise.all([startPcscd(), startApp(), launchChromium()]);
    dir = mkdtempSync(join(tmpdir(), 'ra-card-jobs-e2e-'));
    const profile = join(dir, 'card.json');
    saveProfile(profile, blankProfile());
    card = new SimulatedCard(profile, testReader.port);
    const chuid = card.profile.objects['5fc102'];
    const guid = chuid ? find(Buffer.from(chuid, 'base64'), 0x34) : undefined;
    if (!guid) throw new Error('the simulated card has no CHUID GUID');
    serial = guid.toString('hex');

    // The demo's morning holds the stock locations and the positions a new starter takes.
    await seedDemoMorning(app);
    // The blank card goes into stock at RWG01, with the manufacturer's management key.
    const [location] = await app.db
      .select({ id: cardLocations.id })
      .from(cardLocations)
      .where(eq(cardLocations.odsCode, 'RWG01'))
      .limit(1);
    if (!location) throw new Error('no stock location at RWG01');
    await importCards(
      { ...app.ctx, actor: await demoActor(app.ctx, 'manager') },
      { locationId: location.id, text: serial, format: 'list' },
      testCaPassphrase,
    );
    person = await newStarter(app, 'Ines');

    // The workstation: registered by the manager, enrolled by the agent with its code.
    const manager = await app.login('manager');
    const registered = await app.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'RA desk (e2e)', odsCode: 'RWG01' }),
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const config = join(dir, 'agent.json');
    const cli = ['--import', 'tsx', 'reader/cli.ts'];
    const enrolled = await tool(process.execPath, [
      ...cli,
      'enrol',
      '--server',
      app.url,
      '--code',
      enrolment.code,
      '--config',
      config,
    ]);
    if (enrolled.code !== 0) throw new Error(`enrol: ${enrolled.out}`);
    agent = spawn(
      process.execPath,
      [
        ...cli,
        'watch',
        '--server',
        app.url,
        '--config',
        config,
        '--queue',
        join(dir, 'queue'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = (d: Buffer) => {
      agentLog += d.toString();
    };
    agent.stdout?.on('data', log);
    agent.stderr?.on('data', log);
    await waitFor(
      () => /on http:\/\/127\.0\.0\.1:(\d+)\//.test(agentLog),
      'the agent to answer on 127.0.0.1',
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${agentLog}`);
    });
    agentPort = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(agentLog)?.[1] ?? '';
    await card.insert();
  }, 180_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await card?.remove();
    await browser?.close();
    await app?.stop();
    await pcscd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Every request body the page sent to the server, to show no PIN among them. */
  const toServer: string[] = [];
  const watchRequests = (page: Page) =>
    page.on('request', (r) => {
      if (r.url().startsWith(app.url)) toServer.push(`${r.url()} ${r.postData() ?? ''}`);
    });

  async function waitForEnd(page: Page) {
    const progress = page.getByTestId('job-progress');
    await expect
      .poll(async () => progress.getAttribute('data-state'), { timeout: 60_000 })
      .toMatch(/succeeded|failed/);
    return progress;
  }

  it('issues the card from the person’s page with the PIN the holder types, step by step', async () => {
    const page = await openPage(browser);
    watchRequests(page);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/people/${person.id}?agentPort=${agentPort}`);
    await page.getByRole('link', { name: 'Issue a card' }).click();
    await page.waitForURL(/\/people\/.+\/issue-card/);
    // The link keeps no query: the page is opened again with the agent's port.
    await page.goto(`${app.url}/people/${person.id}/issue-card?agentPort=${agentPort}`);
    await expect
      .poll(() => page.getByTestId('reader-serial').getAttribute('data-serial'), {
        timeout: 20_000,
      })
      .toBe(serial);
    // The reader speaks in the short serial the rest of the page uses, and says it is blank.
    expect(await page.getByTestId('reader-status').textContent()).toContain(
      `Card ${serial.slice(0, 8)}… is in the reader, blank and ready to issue`,
    );

    // The page checks the PINs itself before anything is asked of anyone.
    await page
      .getByLabel('New PIN', { exact: false })
      .first()
      .fill(pins[0] ?? '');
    await page.getByLabel('New PIN again').fill('111111');
    await page.getByRole('button', { name: 'Issue the card' }).click();
    await page.locator('#pinConfirmation-error').waitFor();
    expect(await page.locator('#pinConfirmation-error').textContent()).toContain(
      'the two are different',
    );
    expect(toServer.some((r) => r.includes('/api/card-jobs'))).toBe(false);

    await page.getByLabel('New PIN again').fill(pins[0] ?? '');
    await page.getByRole('button', { name: 'Issue the card' }).click();
    const progress = await waitForEnd(page);
    expect(await progress.getAttribute('data-state'), (await progress.textContent()) ?? '').toBe(
      'succeeded',
    );
    const steps = await page.getByTestId('job-steps').textContent();
    expect(steps).toContain('The certificates were written to the card');
    expect(steps).toContain('The new PIN was set');
    await page.getByTestId('job-success').waitFor();
    expect(await page.getByTestId('job-success').textContent()).toContain(
      `issued to ${person.name} and active`,
    );
    expect(await page.getByTestId('job-systems').textContent()).toContain('can log in to');
    // The next thing an RA clerk looks at: the card itself.
    await page
      .getByTestId('job-success')
      .getByRole('link', { name: /^See card / })
      .waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/card-job-issued.png`, fullPage: true });
    const [row] = await app.db
      .select({ state: cards.state })
      .from(cards)
      .where(eq(cards.serial, serial));
    expect(row?.state).toBe('active');
    await page.context().close();
  }, 120_000);

  it('will not issue a card that already holds someone’s certificates: said before any PIN is typed', async () => {
    const other = await newStarter(app, 'Noor');
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/people/${other.id}/issue-card?agentPort=${agentPort}`);
    await expect
      .poll(() => page.getByTestId('reader-status').textContent(), { timeout: 20_000 })
      .toContain(`it holds ${person.name}’s certificates`);
    expect(await page.getByTestId('reader-status').textContent()).toContain(
      'put in a blank card from stock',
    );
    // The action is absent, not refused after a click.
    expect(await page.getByRole('button', { name: 'Issue the card' }).count()).toBe(0);
    await page.getByTestId('not-ready').waitFor();
    await page.context().close();
  }, 60_000);

  it('says in plain words when the reader agent is not running, with no command line', async () => {
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    // Port 9 (discard) answers nothing on 127.0.0.1: no agent there.
    await page.goto(`${app.url}/cards/${serial}/unlock?agentPort=9`);
    await expect
      .poll(() => page.getByTestId('reader-status').textContent(), { timeout: 20_000 })
      .toContain('The card reader agent is not running on this computer');
    const said = (await page.getByTestId('reader-status').textContent()) ?? '';
    expect(said).toContain('ask your IT service desk');
    expect(said).not.toContain('npm');
    expect(await page.getByRole('button', { name: 'Unlock the card' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('renews at the desk and says the holder uses the card as before (a renewal changes no access)', async () => {
    const page = await openPage(browser);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/cards/${serial}/renew?agentPort=${agentPort}`);
    await expect
      .poll(() => page.getByTestId('reader-serial').getAttribute('data-serial'), {
        timeout: 20_000,
      })
      .toBe(serial);
    await page.getByRole('button', { name: 'Renew the certificates' }).click();
    const progress = await waitForEnd(page);
    expect(await progress.getAttribute('data-state'), (await progress.textContent()) ?? '').toBe(
      'succeeded',
    );
    const systems = (await page.getByTestId('job-systems').textContent()) ?? '';
    expect(systems).toContain(`${person.name} uses it as before, with the same PIN`);
    expect(systems).not.toContain('give no system');
    await page.context().close();
  }, 120_000);

  it('unlocks the card at the desk from its page with a new PIN', async () => {
    const page = await openPage(browser);
    watchRequests(page);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/cards/${serial}`);
    await page.getByRole('link', { name: 'Unlock' }).click();
    await page.waitForURL(/\/cards\/.+\/unlock/);
    await page.goto(`${app.url}/cards/${serial}/unlock?agentPort=${agentPort}`);
    await expect
      .poll(() => page.getByTestId('reader-serial').getAttribute('data-serial'), {
        timeout: 20_000,
      })
      .toBe(serial);
    await page
      .getByLabel('New PIN', { exact: false })
      .first()
      .fill(pins[1] ?? '');
    await page.getByLabel('New PIN again').fill(pins[1] ?? '');
    await page.getByRole('button', { name: 'Unlock the card' }).click();
    const progress = await waitForEnd(page);
    expect(await progress.getAttribute('data-state'), (await progress.textContent()) ?? '').toBe(
      'succeeded',
    );
    expect(await page.getByTestId('job-success').textContent()).toContain('is unlocked');
    await page.context().close();
  }, 120_000);

  it('says plainly that the card was taken out when it leaves the reader mid-job', async () => {
    const page = await openPage(browser);
    watchRequests(page);
    await signIn(page, app.url, 'agent');
    await page.goto(`${app.url}/cards/${serial}/unlock?agentPort=${agentPort}`);
    await expect
      .poll(() => page.getByTestId('reader-serial').getAttribute('data-serial'), {
        timeout: 20_000,
      })
      .toBe(serial);
    await page
      .getByLabel('New PIN', { exact: false })
      .first()
      .fill(pins[2] ?? '');
    await page.getByLabel('New PIN again').fill(pins[2] ?? '');
    // The card is pulled once the agent has started on it (its unblock key asked for).
    const pulled = (async () => {
      await waitFor(
        async () =>
          (
            await app.db
              .select({ step: cardJobs.step })
              .from(cardJobs)
              .where(eq(cardJobs.state, 'running'))
          ).some((j) => j.step === 'puk_requested'),
        'the unlock to be under way',
        { timeoutMs: 30_000, intervalMs: 5 },
      );
      await card.remove();
    })();
    await page.getByRole('button', { name: 'Unlock the card' }).click();
    await pulled;
    try {
      const progress = await waitForEnd(page);
      expect(await progress.getAttribute('data-state')).toBe('failed');
      await expect.poll(() => page.getByTestId('card-gone').count(), { timeout: 10_000 }).toBe(1);
      expect(await page.getByTestId('card-gone').textContent()).toContain(
        'was taken out of the reader before the job finished',
      );
      expect(await page.getByTestId('job-failure').textContent()).toContain(
        'Put the card back in and unlock it again',
      );
      // Nothing to go back to while the job ran; after it, the person may start again.
      await page.getByRole('button', { name: 'Start again' }).waitFor();
    } finally {
      // The same card (its profile file keeps what the job did to it) goes back in.
      card = new SimulatedCard(card.profilePath, testReader.port);
      await card.insert();
      await page.context().close();
    }
  }, 120_000);

  it('never sent a PIN to the server, nor wrote one to the agent’s log', () => {
    expect(toServer.length).toBeGreaterThan(0);
    for (const pin of pins) {
      expect(toServer.filter((r) => r.includes(pin))).toEqual([]);
      expect(agentLog).not.toContain(pin);
    }
  });
});
