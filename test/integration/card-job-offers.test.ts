import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { createCard } from '../support/card-fixtures.ts';
import { newStarter } from '../support/card-jobs.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const day = 86_400_000;

/**
 * What the pages offer for card jobs is what POST /api/card-jobs would accept: "Issue a card"
 * on a person's page (issueCard), and a card's `jobs` (unlock, renew in the window or by an
 * RA agent at any time), with `ownCard` for the holder's own, whose jobs are self-service.
 */
describe.each(testDrivers)('card jobs offered on the pages (%s)', (driver) => {
  let t: TestApp;
  let agent: SignedIn;
  let sponsor: SignedIn;
  let staff: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    await seedDemoMorning(t);
    [agent, sponsor, staff] = await Promise.all([
      t.login('agent'),
      t.login('sponsor'),
      t.login('staff'),
    ]);
  }, 120_000);
  afterAll(() => t.close());

  const get = async (who: SignedIn, path: string) => {
    const res = await t.app.request(path, { headers: who.headers });
    expect(res.status, path).toBe(200);
    return res.json();
  };
  const expiring = (serial: string, days: number) =>
    t.db
      .update(cards)
      .set({ expiresAt: new Date(t.clock.now().getTime() + days * day) })
      .where(eq(cards.serial, serial));

  it('offers issuing a card to a verified person with a position and no card in use, to cards:issue only', async () => {
    const person = await newStarter(t, 'Offa');
    const actions = async (who: SignedIn) =>
      ((await get(who, `/api/people/${person.id}`)) as { actions: string[] }).actions;
    expect(await actions(agent)).toContain('issueCard');
    expect(await actions(sponsor)).not.toContain('issueCard');
    const card = await createCard(t, { state: 'active', personId: person.id });
    expect(await actions(agent)).not.toContain('issueCard');
    await t.db.update(cards).set({ state: 'cancelled' }).where(eq(cards.id, card.id));
    expect(await actions(agent)).toContain('issueCard');
  });

  it('offers unlock and renewal by the lifecycle and the renewal window', async () => {
    const person = await newStarter(t, 'Jobina');
    const { serial } = await createCard(t, { state: 'active', personId: person.id });
    const jobs = async (who: SignedIn) =>
      ((await get(who, `/api/cards/${serial}`)) as { jobs: string[]; ownCard: boolean }).jobs;
    await expiring(serial, 300);
    expect(await jobs(agent)).toEqual(['unlock', 'renew']);
    expect(await jobs(sponsor)).toEqual(['unlock']);
    await expiring(serial, 30);
    expect(await jobs(sponsor)).toEqual(['unlock', 'renew']);
    await expiring(serial, -1);
    expect(await jobs(sponsor)).toEqual(['unlock']);
    expect(await jobs(agent)).toEqual(['unlock', 'renew']);
    await t.db.update(cards).set({ state: 'blocked' }).where(eq(cards.serial, serial));
    expect(await jobs(agent)).toEqual(['unlock']);
    await t.db.update(cards).set({ state: 'suspended' }).where(eq(cards.serial, serial));
    expect(await jobs(agent)).toEqual([]);
  });

  it("offers the holder their own card's jobs as self-service, and no operator their own", async () => {
    const me = (await get(staff, '/api/me/person')) as { id: string };
    const { serial } = await createCard(t, { state: 'active', personId: me.id });
    await expiring(serial, 300);
    const view = async () =>
      (await get(staff, `/api/cards/${serial}`)) as { jobs: string[]; ownCard: boolean };
    expect(await view()).toMatchObject({ ownCard: true, jobs: ['unlock'] });
    await expiring(serial, 30);
    expect(await view()).toMatchObject({ ownCard: true, jobs: ['unlock', 'renew'] });
    await expiring(serial, -1);
    expect((await view()).jobs).toEqual(['unlock']);
    expect(((await get(agent, `/api/cards/${serial}`)) as { ownCard: boolean }).ownCard).toBe(
      false,
    );
  });
});
