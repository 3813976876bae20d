import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const day = 86_400_000;
const invalidCode =
  'This enrolment code is not valid: it may be mistyped, already used or expired. Ask an RA manager for a new code.';

/** A certificate as the agent summarises it (the server gets JSON, never DER). */
function certificate(o: { cn: string; upn?: string; notAfter: Date; sha256?: string }) {
  return {
    subject: `CN=${o.cn}, O=RWG`,
    issuer: 'CN=Smartcard RA Demo CA, O=RWG',
    serialNumber: randomUUID().replace(/-/g, '').slice(0, 16),
    notBefore: new Date(o.notAfter.getTime() - 730 * day).toISOString(),
    notAfter: o.notAfter.toISOString(),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['clientAuth', 'smartcardLogon'],
    email: null,
    upn: o.upn ?? null,
    sha256: o.sha256 ?? randomUUID().replace(/-/g, '').repeat(2),
  };
}

describe.each(testDrivers)('workstations, observations and card flags (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let sequence = 0;

  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  // Sessions time out as the test clock moves on by days: sign in afresh for each test.
  beforeEach(async () => {
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    t.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const asAddress = (address: string) => ({
    'content-type': 'application/json',
    'x-forwarded-for': address,
  });

  async function register(name: string) {
    const res = await post('/api/workstations', { name, odsCode: 'RWG01' }, manager.headers);
    expect(res.status).toBe(201);
    return (await res.json()) as {
      workstation: { id: string; status: string };
      enrolment: { code: string; expiresAt: string };
    };
  }

  async function enrolled(name: string) {
    const { workstation, enrolment } = await register(name);
    const res = await post('/api/agent/enrol', { code: enrolment.code }, asAddress('10.0.0.1'));
    expect(res.status).toBe(201);
    const { credential } = (await res.json()) as { credential: string };
    return {
      id: workstation.id,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    };
  }

  const inserted = (
    serial: string,
    card: {
      certificates?: ReturnType<typeof certificate>[];
      pin?: { triesLeft: number | null; blocked: boolean };
    },
    observedAt = t.clock.now(),
  ) => ({
    idempotencyKey: randomUUID(),
    sequence: ++sequence,
    observedAt: observedAt.toISOString(),
    kind: 'card_inserted',
    reader: 'RA Test Reader 00 00',
    atr: '3bf81300008131fe15597562696b657934d4',
    cardSerial: serial,
    card: {
      cardType: 'PIV',
      chuid: { guid: serial, fascn: null, expiry: '20351231' },
      certificates: (card.certificates ?? []).map((c, i) => ({
        slot: (['9a', '9c'] as const)[i] ?? '9d',
        certificate: c,
      })),
      pin: { verified: false, ...(card.pin ?? { triesLeft: 3, blocked: false }) },
    },
    error: null,
  });

  const serial = () => randomUUID().replace(/-/g, '');

  async function flags(who: SignedIn, query = '') {
    const res = await t.app.request(`/api/flags${query}`, { headers: who.headers });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Flag[] }).items;
  }
  interface Flag {
    kind: string;
    status: string;
    card: { serial: string; known: boolean };
    person: { displayName: string } | null;
    systems: string[];
    daysLeft: number | null;
    bucket: string | null;
    action: string;
    summary: string;
  }

  it('registers a workstation, enrols it once, and takes its observations once each', async () => {
    const { workstation, enrolment } = await register('AMU desk 1');
    expect(workstation.status).toBe('awaiting_enrolment');
    expect(enrolment.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);

    // Typed in lower case, without dashes: still the code.
    const typed = enrolment.code.replace(/-/g, '').toLowerCase();
    const res = await post(
      '/api/agent/enrol',
      { code: typed, hostname: 'amu-pc-1' },
      asAddress('10.0.0.2'),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as { credential: string; workstationName: string };
    expect(body.workstationName).toBe('AMU desk 1');
    expect(body.credential).toMatch(/^sra_ws_[A-Za-z0-9_-]{43}$/);
    const agent = {
      'content-type': 'application/json',
      authorization: `Bearer ${body.credential}`,
    };

    const observation = inserted(serial(), {});
    const first = await post('/api/agent/observations', observation, agent);
    expect(first.status).toBe(201);
    const again = await post('/api/agent/observations', observation, agent);
    expect(again.status).toBe(200);
    const [a, b] = [await first.json(), await again.json()];
    expect(b).toEqual({ observationId: a.observationId, duplicate: true });
    const stored = await t.db.execute(
      sql`select count(*)::int as n from card_observations where idempotency_key = ${observation.idempotencyKey}`,
    );
    const rows =
      (stored as { rows?: { n: number }[] }).rows ?? (stored as unknown as { n: number }[]);
    expect(rows[0]?.n).toBe(1);
    // The unknown card was flagged once, not twice.
    const unknown = (await flags(manager, '?kind=unknown_card')).filter(
      (f) => f.card.serial === observation.cardSerial,
    );
    expect(unknown).toHaveLength(1);

    const list = await t.app.request('/api/workstations', { headers: manager.headers });
    const listed = (
      (await list.json()) as {
        items: { name: string; status: string; lastSeenAt: string | null }[];
      }
    ).items;
    expect(listed.find((w) => w.name === 'AMU desk 1')).toMatchObject({ status: 'enrolled' });
    expect(listed.find((w) => w.name === 'AMU desk 1')?.lastSeenAt).not.toBeNull();
  });

  it('refuses a forged, replayed or expired code, and a revoked workstation, alike, and audits why', async () => {
    const used = await register('Ward 5 clerk');
    expect(
      (await post('/api/agent/enrol', { code: used.enrolment.code }, asAddress('10.1.0.1'))).status,
    ).toBe(201);
    const stale = await register('Theatres desk');
    const revoked = await register('Old PC');
    const revoke = await post(
      `/api/workstations/${revoked.workstation.id}/revoke`,
      { reason: 'Machine replaced' },
      manager.headers,
    );
    expect(revoke.status).toBe(200);
    t.clock.advance(25 * 3_600_000);
    manager = await t.login('manager');

    const attempts = [
      ['ABCD-EFGH-JKMN-PQRS', 'unknown_code'],
      [used.enrolment.code, 'code_already_used'],
      [stale.enrolment.code, 'code_expired'],
      [revoked.enrolment.code, 'workstation_revoked'],
    ] as const;
    for (const [i, [code]] of attempts.entries()) {
      const res = await post('/api/agent/enrol', { code }, asAddress(`10.2.0.${i + 1}`));
      expect(res.status, code).toBe(401);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error).toMatchObject({ code: 'ENROLMENT_CODE_INVALID', message: invalidCode });
    }
    const audit = await t.app.request('/api/audit?action=workstation.enrolment_refused', {
      headers: manager.headers,
    });
    const causes = ((await audit.json()) as { items: { summary: { cause: string } }[] }).items.map(
      (e) => e.summary.cause,
    );
    // Each refusal of a workstation of the trust is the trust's to see; a code that names no
    // workstation belongs to no trust, so only a deployment-wide auditor sees that one.
    for (const [, cause] of attempts) {
      if (cause === 'unknown_code') expect(causes).not.toContain(cause);
      else expect(causes).toContain(cause);
    }
    const verify = await t.app.request('/api/audit/verify', { headers: manager.headers });
    expect(((await verify.json()) as { ok: boolean }).ok).toBe(true);
  });

  it('slows down guessing: after repeated wrong codes from one address, 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await post(
        '/api/agent/enrol',
        { code: `WXYZ-WXYZ-WXYZ-WXY${i}` },
        asAddress('10.3.0.1'),
      );
      statuses.push(res.status);
    }
    // Three free tries, then each further one must wait (1 s, 2 s, …): refused unchecked.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429, 429]);
    // Another address is not held up.
    const other = await post(
      '/api/agent/enrol',
      { code: 'WXYZ-WXYZ-WXYZ-WXYZ' },
      asAddress('10.3.0.2'),
    );
    expect(other.status).toBe(401);
  });

  it('lets only a live workstation credential report, and says what was wrong with a bad report', async () => {
    const ws = await enrolled('Pharmacy desk');
    const good = inserted(serial(), {});
    const forged = {
      'content-type': 'application/json',
      authorization: `Bearer sra_ws_${'A'.repeat(43)}`,
    };
    expect((await post('/api/agent/observations', good, forged)).status).toBe(401);
    // A person's session does not reach the agent's route.
    expect((await post('/api/agent/observations', good, manager.headers)).status).toBe(403);

    const bad = { ...good, sequence: 0, cardSerial: 'not-a-serial', reader: '' };
    const res = await post('/api/agent/observations', bad, ws.headers);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; details: { field: string }[] };
    };
    expect(error.code).toBe('VALIDATION');
    expect(error.details.map((d) => d.field).sort()).toEqual(['cardSerial', 'reader', 'sequence']);

    // A card with no CHUID GUID goes by its own serial number, and only a number will do.
    const bySerial = { ...inserted('sn-12345678', {}), card: { ...good.card, chuid: null } };
    expect((await post('/api/agent/observations', bySerial, ws.headers)).status).toBe(201);
    const flagged = await flags(manager, '?kind=unknown_card');
    expect(flagged.map((f) => f.card.serial)).toContain('sn-12345678');
    const notNumber = { ...inserted('sn-12ab', {}), card: { ...good.card, chuid: null } };
    expect((await post('/api/agent/observations', notNumber, ws.headers)).status).toBe(400);

    // A CHUID the card refused comes with why; the reason is bounded like every other text.
    const refused = {
      ...inserted('sn-12345679', {}),
      card: { ...good.card, chuid: null, chuidError: 'the card refused it: SW 6982' },
    };
    expect((await post('/api/agent/observations', refused, ws.headers)).status).toBe(201);
    const rambling = {
      ...inserted('sn-12345680', {}),
      card: { ...good.card, chuid: null, chuidError: 'x'.repeat(501) },
    };
    const tooLong = await post('/api/agent/observations', rambling, ws.headers);
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(await tooLong.json())).toContain('card.chuidError');

    expect(
      (await post(`/api/workstations/${ws.id}/revoke`, { reason: 'Stolen' }, manager.headers))
        .status,
    ).toBe(200);
    expect((await post('/api/agent/observations', good, ws.headers)).status).toBe(401);
  });

  it('raises each kind of flag, with the holder, their systems and the action, and resolves them', async () => {
    const ws = await enrolled('RA desk');
    const [priya] = await t.db
      .select({ id: people.id, userId: people.userId })
      .from(people)
      .where(and(eq(people.givenName, 'Priya'), eq(people.familyName, 'Patel')));
    const [nurse] = await t.db
      .select({ id: positions.id })
      .from(positions)
      .where(eq(positions.name, 'Staff Nurse, Acute Medical Unit'));
    if (!priya || !nurse) throw new Error('the demo trust has no Priya Patel or Staff Nurse AMU');
    const now = t.clock.now();
    await t.db.insert(assignments).values({
      personId: priya.id,
      positionId: nurse.id,
      startDate: now.toISOString().slice(0, 10),
      createdAt: now,
    });
    // Issuing cards comes with the card lifecycle; until then the record is written here.
    const ours = serial();
    const [card] = await t.db
      .insert(cards)
      .values({ serial: ours, personId: priya.id, state: 'active', createdAt: now, updatedAt: now })
      .returning({ id: cards.id });
    const auth = certificate({ cn: 'Priya Patel', notAfter: new Date(now.getTime() + 20.5 * day) });
    await t.db.insert(certificates).values({
      cardId: card?.id,
      personId: priya.id,
      slot: '9a',
      serialNumber: auth.serialNumber,
      subject: auth.subject,
      issuer: auth.issuer,
      sha256: auth.sha256,
      notBefore: new Date(auth.notBefore),
      notAfter: new Date(auth.notAfter),
      createdAt: now,
    });

    // Our card, its certificate 20 days from expiry, the PIN blocked.
    const seen = inserted(ours, { certificates: [auth], pin: { triesLeft: 0, blocked: true } });
    expect((await post('/api/agent/observations', seen, ws.headers)).status).toBe(201);
    const raised = (await flags(manager)).filter((f) => f.card.serial === ours);
    expect(raised.map((f) => f.kind)).toEqual(['pin_blocked', 'certificate_expiring']);
    const [blocked, expiring] = raised;
    expect(blocked).toMatchObject({
      person: { displayName: 'Priya Patel' },
      card: { known: true },
      summary: 'PIN blocked',
    });
    expect(blocked?.systems).toEqual(['pacs', 'systmone']);
    expect(blocked?.action).toContain('unlocks it');
    expect(expiring).toMatchObject({ daysLeft: 20, bucket: '30' });
    expect(expiring?.summary).toBe('Authentication certificate expires in 20 days');

    // Thirteen days on, the same flag is in the 7-day bucket; then it expires.
    t.clock.advance(13 * day);
    manager = await t.login('manager');
    expect(
      (await flags(manager, '?kind=certificate_expiring')).find((f) => f.card.serial === ours),
    ).toMatchObject({ daysLeft: 7, bucket: '7' });

    // A sponsor of the holder's organisation sees the flags; an LSA of another does not.
    const sponsor = await t.login('sponsor');
    expect((await flags(sponsor)).some((f) => f.card.serial === ours)).toBe(true);
    const lsa = await t.login('lsa');
    expect((await flags(lsa)).some((f) => f.card.serial === ours)).toBe(false);

    // Unlocked, and seen again after expiry: the PIN flag resolves, the expiry flag turns.
    t.clock.advance(10 * day);
    manager = await t.login('manager');
    const later = inserted(ours, { certificates: [auth], pin: { triesLeft: 3, blocked: false } });
    expect((await post('/api/agent/observations', later, ws.headers)).status).toBe(201);
    expect(
      (await flags(manager)).filter((f) => f.card.serial === ours).map((f) => [f.kind, f.bucket]),
    ).toEqual([['certificate_expired', 'expired']]);
    const resolved = (await flags(manager, '?status=resolved')).filter(
      (f) => f.card.serial === ours,
    );
    expect(resolved.map((f) => f.kind).sort()).toEqual(['certificate_expiring', 'pin_blocked']);

    // An older observation delivered late changes nothing.
    const stale = inserted(
      ours,
      { certificates: [auth], pin: { triesLeft: 1, blocked: false } },
      now,
    );
    expect((await post('/api/agent/observations', stale, ws.headers)).status).toBe(201);
    expect((await flags(manager)).filter((f) => f.card.serial === ours).map((f) => f.kind)).toEqual(
      ['certificate_expired'],
    );

    // A stranger's card: unknown, with a certificate this RA never issued, holder found by UPN.
    const stranger = serial();
    const foreign = certificate({
      cn: 'Priya Patel',
      upn: `${priya.userId}@nhs.net`,
      notAfter: new Date(t.clock.now().getTime() + 400 * day),
    });
    const odd = inserted(stranger, {
      certificates: [foreign],
      pin: { triesLeft: 1, blocked: false },
    });
    expect((await post('/api/agent/observations', odd, ws.headers)).status).toBe(201);
    const strange = (await flags(manager)).filter((f) => f.card.serial === stranger);
    expect(strange.map((f) => f.kind)).toEqual([
      'foreign_certificate',
      'unknown_card',
      'pin_last_try',
    ]);
    expect(strange.every((f) => f.person?.displayName === 'Priya Patel')).toBe(true);
    expect(strange[0]?.action).toContain('cancels it');

    const verify = await t.app.request('/api/audit/verify', { headers: manager.headers });
    expect(((await verify.json()) as { ok: boolean }).ok).toBe(true);
    const audit = await t.app.request(`/api/audit?action=card.flag_raised`, {
      headers: manager.headers,
    });
    expect(((await audit.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps workstations to RA managers and advanced agents', async () => {
    for (const username of ['agent', 'sponsor', 'staff']) {
      const who = await t.login(username);
      const res = await post('/api/workstations', { name: 'Mine', odsCode: 'RWG01' }, who.headers);
      expect(res.status, username).toBe(403);
    }
  });
});
