import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { cardLocations, cards, certificates } from '../../db/schema/cards.ts';
import { certificateAuthorities } from '../../db/schema/pki.ts';
import { routedCardVerbs } from '../../server/services/cards/card-access.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { encodeForUrl, hostileStrings } from '../support/hostile-values.ts';
import { demoPersonId, post } from '../support/people.ts';
import { secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'attack lifecycle access passphrase';

const bodyFor = (verb: string) =>
  verb === 'cancel'
    ? { reason: 'lost' }
    : verb === 'suspend'
      ? { reason: 'reported_missing' }
      : undefined;

describe.each(testDrivers)('attack: who may move a card, and with what (%s)', (driver) => {
  let t: TestApp;
  let agent: SignedIn;
  let priya: string;
  let rxx: Trust;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
    agent = await t.login('agent');
    priya = await demoPersonId(t, 'Priya');
    rxx = await secondTrust(t);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const request = (who: SignedIn | null, serial: string, verb: string, body?: unknown) => {
    const headers: Record<string, string> = who ? { ...who.headers } : {};
    if (body === undefined) delete headers['content-type'];
    return t.app.request(`/api/cards/${serial}/${verb}`, {
      method: 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };

  /** Everything a move could change: the card row, its certificates, the CRL number, its audit events. */
  const snapshot = async (card: { id: string; serial: string }) => ({
    card: (await t.db.select().from(cards).where(eq(cards.id, card.id)))[0],
    certs: await t.db
      .select({ s: certificates.serialNumber, r: certificates.revocationReason })
      .from(certificates)
      .where(eq(certificates.cardId, card.id))
      .orderBy(asc(certificates.serialNumber)),
    crl: (
      await t.db
        .select({ n: certificateAuthorities.crlNumber })
        .from(certificateAuthorities)
        .where(eq(certificateAuthorities.name, 'issuing'))
    )[0]?.n,
    events: (
      await t.db
        .select({ id: auditEvents.id })
        .from(auditEvents)
        .where(and(eq(auditEvents.subjectType, 'card'), eq(auditEvents.subjectId, card.serial)))
    ).length,
  });

  it('another trust’s RA never sees or moves our stock card: 404 as for no card, nothing changed', async () => {
    const [location] = await t.db
      .insert(cardLocations)
      .values({ odsCode: 'RWG01', name: 'RA safe (attack)', createdAt: t.clock.now() })
      .returning({ id: cardLocations.id });
    const serial = randomBytes(16).toString('hex');
    const now = t.clock.now();
    const [card] = await t.db
      .insert(cards)
      .values({
        serial,
        state: 'in_stock',
        locationId: location?.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: cards.id });
    const before = await snapshot({ id: card?.id ?? '', serial });
    const absent = await t.app.request('/api/cards/ffffffffffffffffffffffffffffffff', {
      headers: agent.headers,
    });
    const absentMessage = ((await absent.json()) as { error: { message: string } }).error.message;
    for (const { role, who } of rxx.callers) {
      const seen = await t.app.request(`/api/cards/${serial}`, { headers: who.headers });
      expect.soft(seen.status, `${role} GET`).toBe(404);
      for (const verb of ['destroy']) {
        const res = await request(who, serial, verb);
        if (res.status === 403) {
          // A permission its role lacks everywhere: says nothing of the card.
          const { error } = (await res.json()) as { error: { message: string } };
          expect(error.message, `${role} ${verb}`).not.toMatch(/RWG/);
          continue;
        }
        expect(res.status, `${role} ${verb}`).toBe(404);
        expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
          absentMessage,
        );
      }
    }
    expect(await snapshot({ id: card?.id ?? '', serial })).toEqual(before);
  });

  it('another trust’s RA: every verb on our held card with certificates is 404, nothing changed', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const before = await snapshot(card);
    for (const { role, who } of rxx.callers) {
      for (const verb of routedCardVerbs) {
        const res = await request(who, card.serial, verb, bodyFor(verb));
        expect([403, 404], `${role} ${verb}: ${await res.clone().text()}`).toContain(res.status);
        if (res.status === 403) {
          expect(await res.text(), `${role} ${verb}`).not.toMatch(/RWG|Priya/);
        }
      }
      const upper = await request(who, card.serial.toUpperCase(), 'cancel', { reason: 'lost' });
      expect([403, 404], role).toContain(upper.status);
    }
    expect(await snapshot(card)).toEqual(before);
  });

  it('refuses without CSRF token, with an agent credential, with none: nothing changed', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const before = await snapshot(card);
    const noCsrf = await t.app.request(`/api/cards/${card.serial}/cancel`, {
      method: 'POST',
      headers: { cookie: agent.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('CSRF');
    const wrongCsrf = await t.app.request(`/api/cards/${card.serial}/cancel`, {
      method: 'POST',
      headers: { ...agent.headers, 'x-csrf-token': 'x'.repeat(agent.csrfToken.length) },
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect(wrongCsrf.status).toBe(403);
    // A workstation agent's credential
    const manager = await t.login('manager');
    const ws = await post(t, manager, '/api/workstations', {
      name: 'Attack desk',
      odsCode: 'RWG01',
    });
    expect(ws.status, await ws.clone().text()).toBe(201);
    const { enrolment } = (await ws.json()) as { enrolment: { code: string } };
    const enrolled = await t.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.77.0.9' },
      body: JSON.stringify({ code: enrolment.code, hostname: 'attack-desk' }),
    });
    expect(enrolled.status).toBe(201);
    const { credential } = (await enrolled.json()) as { credential: string };
    for (const verb of routedCardVerbs) {
      const res = await t.app.request(`/api/cards/${card.serial}/${verb}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify(bodyFor(verb) ?? {}),
      });
      expect([401, 403], `agent ${verb}: ${await res.clone().text()}`).toContain(res.status);
    }
    // An agent credential alongside a session without CSRF
    const both = await t.app.request(`/api/cards/${card.serial}/cancel`, {
      method: 'POST',
      headers: {
        cookie: agent.cookie,
        'content-type': 'application/json',
        authorization: `Bearer ${credential}`,
      },
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect([401, 403], await both.clone().text()).toContain(both.status);
    const none = await t.app.request(`/api/cards/${card.serial}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect(none.status).toBe(401);
    expect(await snapshot(card)).toEqual(before);
  });

  it('a holder with operator verbs on their own card, and each non-RA role on it: refused, nothing changed', async () => {
    for (const username of [
      'staff',
      'sponsor',
      'lsa',
      'idchecker',
      'agent',
      'advanced',
      'manager',
    ]) {
      const who = await t.login(username);
      const [given] = (await t.db.select().from(cards).limit(0)).map(() => '');
      void given;
      const me = await t.app.request('/api/me/person', { headers: who.headers });
      if (me.status !== 200) continue;
      const { id } = (await me.json()) as { id: string };
      const card = await createCard(t, { state: 'active', personId: id, certificates: true });
      const suspended = await createCard(t, { state: 'active', personId: id, certificates: true });
      const before = await snapshot(card);
      for (const verb of routedCardVerbs) {
        const res = await request(who, card.serial, verb, bodyFor(verb));
        expect([403, 409], `${username} ${verb} own: ${await res.clone().text()}`).toContain(
          res.status,
        );
      }
      expect(await snapshot(card), username).toEqual(before);
      void suspended;
    }
  });

  it('hostile serials in the path: never a 500, never a move', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const before = await snapshot(card);
    const serials = [
      ...hostileStrings.map(encodeForUrl),
      `${card.serial}%2F..%2F..`,
      `${card.serial.slice(0, 16)}%2F${card.serial.slice(16)}`,
      '%2E%2E',
      `${card.serial}%00`,
      'a'.repeat(64),
      'a'.repeat(65),
      'a'.repeat(5000),
      `${card.serial}-`,
      ` ${card.serial}`.replace(' ', '%20'),
      `${card.serial}%0A`,
      encodeURIComponent(`${card.serial}'`),
      '%25',
      '----',
      'K\u212A'.replace('\u212A', '%E2%84%AA'),
    ];
    for (const serial of serials) {
      for (const verb of ['cancel', 'reinstate']) {
        const res = await request(agent, serial, verb, bodyFor(verb));
        expect([400, 404], `${verb} ${serial.slice(0, 80)}: ${await res.clone().text()}`).toContain(
          res.status,
        );
      }
      const get = await t.app.request(`/api/cards/${serial}`, { headers: agent.headers });
      expect([400, 404], `GET ${serial.slice(0, 80)}`).toContain(get.status);
    }
    expect(await snapshot(card)).toEqual(before);
  });

  it('a case variant of a real serial moves that card, audited under its real serial', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const res = await request(agent, card.serial.toUpperCase(), 'suspend', {
      reason: 'reported_missing',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { serial: string }).serial).toBe(card.serial);
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'card.suspend'));
    expect(events.filter((e) => e.subjectId === card.serial)).toHaveLength(1);
    expect(events.filter((e) => e.subjectId === card.serial.toUpperCase())).toHaveLength(0);
  });

  it('hostile reasons and bodies: a 400/415 naming the problem, never a move', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const suspended = await createCard(t, { state: 'active', personId: priya, certificates: true });
    expect(
      (await request(agent, suspended.serial, 'suspend', { reason: 'reported_missing' })).status,
    ).toBe(200);
    const beforeA = await snapshot(card);
    const beforeS = await snapshot(suspended);
    const raw = (serial: string, verb: string, body: string, type = 'application/json') =>
      t.app.request(`/api/cards/${serial}/${verb}`, {
        method: 'POST',
        headers: { ...agent.headers, 'content-type': type },
        body,
      });
    const bodies: unknown[] = [
      { reason: 'reported_missing' },
      { reason: ['lost'] },
      { reason: { lost: true } },
      { reason: 'x'.repeat(100_000) },
      { reason: 'lost', extra: 1 },
      { reason: null },
      { reason: 7 },
      { reason: true },
      { reason: 'LOST' },
      { reason: ' lost' },
      { reason: 'toString' },
      { reason: 'constructor' },
      { reason: '__proto__' },
      { reason: 'hasOwnProperty' },
      { constructor: { prototype: { reason: 'lost' } } },
      {},
      [],
      null,
      'lost',
      42,
      ...hostileStrings.map((s) => ({ reason: s })),
    ];
    for (const body of bodies) {
      const res = await request(agent, card.serial, 'cancel', body);
      expect(
        [400, 413],
        `cancel ${JSON.stringify(body)?.slice(0, 60)}: ${await res.clone().text()}`,
      ).toContain(res.status);
    }
    for (const text of [
      '{"__proto__": {"reason": "lost"}}',
      '{"reason": "lost", "__proto__": {"x": 1}}',
      '{"reason": "lost", "reason": "bored"}',
      '{"reason": "lost"',
      '',
      '\u0000',
      'reason=lost',
    ]) {
      const res = await raw(card.serial, 'cancel', text);
      const label = `cancel raw ${JSON.stringify(text)}: ${await res.clone().text()}`;
      expect([400], label).toContain(res.status);
    }
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/jsonx',
      '',
    ]) {
      const res = await raw(card.serial, 'cancel', '{"reason":"lost"}', type);
      expect([400, 415], `cancel as ${type}: ${await res.clone().text()}`).toContain(res.status);
    }
    // Reinstate takes no reason
    for (const body of [
      { reason: 'lost' },
      { reason: null },
      { reason: '' },
      { x: 1 },
      [],
      null,
      'x',
      { ['__proto__']: 1 },
    ]) {
      const res = await request(agent, suspended.serial, 'reinstate', body);
      expect([400], `reinstate ${JSON.stringify(body)}: ${await res.clone().text()}`).toContain(
        res.status,
      );
    }
    for (const [text, type] of [
      ['{"reason":"lost"}', 'text/plain'],
      ['reason=lost', 'application/x-www-form-urlencoded'],
      ['{"reason":', 'application/json'],
    ] as const) {
      const res = await raw(suspended.serial, 'reinstate', text, type);
      expect([400, 415], `reinstate raw ${text} ${type}: ${await res.clone().text()}`).toContain(
        res.status,
      );
    }
    expect(await snapshot(card)).toEqual(beforeA);
    expect(await snapshot(suspended)).toEqual(beforeS);
    // An empty JSON body on a move that takes none is a plain move
    const empty = await raw(suspended.serial, 'reinstate', '', 'application/json');
    expect([200, 400], `reinstate empty json: ${await empty.clone().text()}`).toContain(
      empty.status,
    );
  });
});

