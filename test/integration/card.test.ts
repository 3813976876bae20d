import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { demoPersonId } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** GET /api/cards/{serial}: a card's page, for its holder and those who read its holder's cards. */
describe.each(testDrivers)('one card (%s)', (driver) => {
  let t: TestApp;
  let skysCard: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    await seedDemoMorning(t);
    const [card] = await t.db
      .select({ serial: cards.serial })
      .from(cards)
      .where(eq(cards.personId, await demoPersonId(t, 'Sky')));
    if (!card) throw new Error('Sky has no demo card');
    skysCard = card.serial;
  });
  afterAll(() => t.close());

  const read = async (username: string, serial = skysCard) =>
    t.app.request(`/api/cards/${serial}`, { headers: (await t.login(username)).headers });

  it('shows the card, its certificate, flags and holder to RA staff, the sponsor and the holder', async () => {
    for (const username of ['manager', 'agent', 'sponsor', 'staff']) {
      const res = await read(username);
      expect(res.status, username).toBe(200);
      expect(await res.json(), username).toMatchObject({
        serial: skysCard,
        state: 'active',
        holder: { id: await demoPersonId(t, 'Sky'), name: 'Sky Staff' },
        certificates: [expect.objectContaining({ daysLeft: 45, revoked: false })],
        lastSeen: expect.objectContaining({ workstation: 'RA desk 1 (demo)' }),
      });
    }
  });

  it('finds the card whatever the case of its serial, as the people search does', async () => {
    for (const spelt of [skysCard.toLowerCase(), skysCard.toUpperCase()]) {
      const res = await read('manager', spelt);
      expect(res.status, spelt).toBe(200);
      expect((await res.json()).serial).toBe(skysCard);
    }
  });

  it('answers as for no such card to those who may not see it', async () => {
    const unknown = await read('manager', 'ffffffffffffffffffffffffffffffff');
    expect(unknown.status).toBe(404);
    const absent = await unknown.json();
    // The LSA reads cards of RWG02 only; the ID checker reads no cards.
    for (const username of ['lsa', 'idchecker']) {
      const res = await read(username);
      expect(res.status, username).toBe(404);
      expect((await res.json()).error.message).toBe(absent.error.message);
    }
    expect((await read('manager', 'not a serial!')).status).toBe(400);
  });
});
