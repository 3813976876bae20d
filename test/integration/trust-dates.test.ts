import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema/access.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * One clock: "today" is the trust's date (Europe/London) in every answer. At 23:30 UTC on
 * 1 July it is already 2 July in London, so an assignment that ended on 1 July is over,
 * and a certificate expiring at 00:15 on 4 July (London) has two days left.
 */
describe.each(testDrivers)('today is the trust’s date (%s)', (driver) => {
  let t: TestApp;
  const lateEvening = new Date('2026-07-01T23:30:00Z');
  beforeAll(async () => {
    t = await createTestApp(driver);
    t.clock.advance(lateEvening.getTime() - t.clock.now().getTime());
  });
  afterAll(() => t.close());

  it('lists card flags with the systems and days left of the London date, not UTC’s', async () => {
    const manager = await t.login('manager');
    const priya = await demoPersonId(t, 'Priya');
    // History written straight in: the consultant post ran out on 1 July, the clerk's is open.
    await t.db.insert(assignments).values([
      {
        personId: priya,
        positionId: await demoPositionId(t, 'Consultant Physician'),
        startDate: '2026-06-01',
        endDate: '2026-07-01',
        createdAt: new Date('2026-06-01T08:00:00Z'),
      },
      {
        personId: priya,
        positionId: await demoPositionId(t, 'Ward Clerk'),
        startDate: '2026-06-01',
        createdAt: new Date('2026-06-01T08:00:00Z'),
      },
    ]);
    // Issuing cards comes with the card lifecycle; until then the record is written here.
    const serial = randomUUID().replace(/-/g, '');
    const notAfter = new Date('2026-07-03T23:15:00Z'); // 00:15 on 4 July in London
    const sha256 = randomUUID().replace(/-/g, '').repeat(2);
    const certificate = {
      subject: 'CN=Priya Patel, O=RWG',
      issuer: 'CN=Smartcard RA Demo CA, O=RWG',
      serialNumber: randomUUID().replace(/-/g, '').slice(0, 16),
      notBefore: '2024-07-04T00:00:00.000Z',
      notAfter: notAfter.toISOString(),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['clientAuth', 'smartcardLogon'],
      email: null,
      upn: null,
      sha256,
    };
    const [card] = await t.db
      .insert(cards)
      .values({
        serial,
        personId: priya,
        state: 'active',
        createdAt: lateEvening,
        updatedAt: lateEvening,
      })
      .returning({ id: cards.id });
    await t.db.insert(certificates).values({
      cardId: card?.id,
      personId: priya,
      slot: '9a',
      serialNumber: certificate.serialNumber,
      subject: certificate.subject,
      issuer: certificate.issuer,
      sha256,
      notBefore: new Date(certificate.notBefore),
      notAfter,
      createdAt: lateEvening,
    });

    const registered = await post(t, manager, '/api/workstations', {
      name: 'Night desk',
      odsCode: 'RWG01',
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const enrolled = await t.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: enrolment.code }),
    });
    const { credential } = (await enrolled.json()) as { credential: string };
    const seen = await t.app.request('/api/agent/observations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        sequence: 1,
        observedAt: lateEvening.toISOString(),
        kind: 'card_inserted',
        reader: 'RA Test Reader 00 00',
        atr: '3bf81300008131fe15597562696b657934d4',
        cardSerial: serial,
        card: {
          cardType: 'PIV',
          chuid: { guid: serial, fascn: null, expiry: '20351231' },
          certificates: [{ slot: '9a', certificate }],
          pin: { verified: false, triesLeft: 3, blocked: false },
        },
        error: null,
      }),
    });
    expect(seen.status, await seen.clone().text()).toBe(201);

    const listed = await t.app.request('/api/flags?kind=certificate_expiring', {
      headers: manager.headers,
    });
    const { items } = (await listed.json()) as {
      items: {
        card: { serial: string };
        systems: string[];
        daysLeft: number;
        bucket: string;
        summary: string;
      }[];
    };
    const flag = items.find((f) => f.card.serial === serial);
    expect(flag).toMatchObject({
      // The clerk's systems only: in UTC it was still 1 July and the consultant's counted too.
      systems: ['ers', 'systmone'],
      // Under 48 hours away, but two dates on.
      daysLeft: 2,
      bucket: '7',
      summary: 'Authentication certificate expires in 2 days',
    });

    const page = await t.app.request(`/api/people/${priya}`, { headers: manager.headers });
    const person = (await page.json()) as {
      cards: { serial: string; certificates: { daysLeft: number }[] }[];
      assignments: { positionName?: string; state: string }[];
    };
    expect(person.cards.find((c) => c.serial === serial)?.certificates).toEqual([
      expect.objectContaining({ daysLeft: 2 }),
    ]);
    expect(person.assignments.map((a) => a.state).sort()).toEqual(['active', 'expired']);
  });

  it('tells the time of a claim and a decision in UK time', async () => {
    const agent = await t.login('agent');
    const raised = await post(t, agent, '/api/requests', {
      kind: 'assign',
      personId: await demoPersonId(t, 'Zoë'),
      positionId: await demoPositionId(t, 'Ward Clerk'),
    });
    expect(raised.status, await raised.clone().text()).toBe(201);
    const { id } = (await raised.json()) as { id: string };
    const sponsor = await t.login('sponsor');
    expect((await post(t, sponsor, `/api/requests/${id}/claim`)).status).toBe(200);
    const manager = await t.login('manager');
    const claimed = await post(t, manager, `/api/requests/${id}/approve`, {});
    expect(claimed.status).toBe(409);
    const held = ((await claimed.json()) as { error: { message: string } }).error.message;
    // Claimed at 00:30 on 2 July in London for 15 minutes (23:45 UTC on 1 July).
    expect(held).toContain('(held until 00:45 UK time)');
    expect((await post(t, sponsor, `/api/requests/${id}/approve`, {})).status).toBe(200);
    const again = await post(t, manager, `/api/requests/${id}/approve`, {});
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toBe(
      'This request has already been approved (2026-07-02 00:30 UK time).',
    );
  });
});
