import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../db/schema/accounts.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { cardFlags, cards } from '../../db/schema/cards.ts';
import { workstations } from '../../db/schema/workstations.ts';
import { permissionsOf, rolePermissions } from '../../server/permissions/permissions.ts';
import { routedCardVerbs } from '../../server/services/cards/card-access.ts';
import {
  type CardReason,
  type CardState,
  type CardTransition,
  type CardVerb,
  type CertificateEffect,
  cardStates,
  cardTransitions,
  reasonWords,
  transitionFrom,
} from '../../server/services/cards/card-lifecycle.ts';
import { transitionCard, transitionCardTx } from '../../server/services/cards/transition-card.ts';
import { withTransaction } from '../../server/services/context.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { CaUnavailableError } from '../../server/services/pki/publish-crl.ts';
import { createCard, type TestCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post, registerActivePerson } from '../support/people.ts';
import { RevocationReader } from '../support/revocation-status.ts';
import { secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'card transitions test CA passphrase';

/** The table's moves that have a route; the cases below are derived from them. */
const routed = new Set<CardVerb>(routedCardVerbs);
const routedRows = cardTransitions.filter((r) => routed.has(r.verb));

interface Step {
  row: CardTransition;
  reason: CardReason | null;
  effect: CertificateEffect;
}
const stepsOf = (row: CardTransition): Step[] =>
  row.needsReason
    ? row.reasons.map((r) => ({ row, reason: r.reason, effect: r.certificates }))
    : [{ row, reason: null, effect: row.certificates }];

/** Every routed row of the table, once for each reason it takes. */
const walkCases = routedRows.flatMap(stepsOf);

/** Where cards start, or reach only by moves without a route (issue, activate, block): walks start there. */
const seedStates = cardStates.filter(
  (s) => s === 'in_stock' || cardTransitions.some((r) => !routed.has(r.verb) && r.to === s),
);

/** The shortest walk of routed moves from a seed state to `state`. */
function pathTo(state: CardState): { seed: CardState; steps: Step[] } {
  const queue = seedStates.map((seed) => ({ seed, at: seed, steps: [] as Step[] }));
  const seen = new Set<CardState>(seedStates);
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (next.at === state) return next;
    for (const row of routedRows.filter((r) => r.from === next.at && !seen.has(r.to))) {
      seen.add(row.to);
      const [first] = stepsOf(row);
      if (first) queue.push({ seed: next.seed, at: row.to, steps: [...next.steps, first] });
    }
  }
  throw new Error(`no card can be walked to ${state}`);
}

const permissionOf = (verb: CardVerb) => transitionFromVerb(verb).permission;
function transitionFromVerb(verb: CardVerb): CardTransition {
  const row = routedRows.find((r) => r.verb === verb);
  if (!row) throw new Error(`no routed row for ${verb}`);
  return row;
}
/** A body for a move: a reason the table takes for it, or none. */
const bodyFor = (verb: CardVerb) => {
  const row = transitionFromVerb(verb);
  return row.needsReason ? { reason: row.reasons[0]?.reason } : undefined;
};
/** The routed moves an RA agent may make from a state on someone else's card. */
const movesFrom = (state: CardState) => [
  ...new Set(routedRows.filter((r) => r.from === state).map((r) => r.verb)),
];

type Status = { status: 'valid' | 'on_hold' | 'revoked'; reason: string | null };
function afterEffect(s: Status, effect: CertificateEffect): Status {
  if (effect === 'none') return s;
  if (effect === 'hold')
    return s.status === 'valid' ? { status: 'on_hold', reason: 'certificateHold' } : s;
  if (effect === 'release') return s.status === 'on_hold' ? { status: 'valid', reason: null } : s;
  return s.status === 'revoked' ? s : { status: 'revoked', reason: effect.revoke };
}
/** RFC 5280 reasons as `openssl crl -text` prints them. */
const crlWords: Record<string, string> = {
  keyCompromise: 'Key Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  certificateHold: 'Certificate Hold',
};

interface CardView {
  serial: string;
  state: CardState;
  stateReason: string | null;
  stateChangedAt: string | null;
  actions: string[];
  holder: { id: string } | null;
  certificates: { serialNumber: string; status: string; revocationReason: string | null }[];
}

describe.each(testDrivers)('the card lifecycle through the API (%s)', (driver) => {
  let t: TestApp;
  let reader: RevocationReader;
  let agent: SignedIn;
  let priya: string;
  let alex: string;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    // openssl judges CRL and OCSP times by the real clock.
    t.clock.advance(Date.now() - 60_000 - t.clock.now().getTime());
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
    reader = new RevocationReader(t);
    agent = await t.login('agent');
    sessions.set('agent', Promise.resolve(agent));
    priya = await demoPersonId(t, 'Priya');
    alex = await demoPersonId(t, 'Alex');
  }, 120_000);
  afterAll(async () => {
    reader?.close();
    await t?.close();
  });

  const sessions = new Map<string, Promise<SignedIn>>();
  /** One sign-in per demo account for the whole suite: each costs an argon2id check. */
  const as = (username: string) => {
    let who = sessions.get(username);
    if (!who) {
      who = t.login(username);
      sessions.set(username, who);
    }
    return who;
  };
  /** A move as the page makes it: a JSON body only for a move that takes a reason. */
  const move = (who: SignedIn, serial: string, verb: string, body?: unknown) => {
    if (body !== undefined) return post(t, who, `/api/cards/${serial}/${verb}`, body);
    const { 'content-type': _, ...headers } = who.headers;
    return t.app.request(`/api/cards/${serial}/${verb}`, { method: 'POST', headers });
  };
  const view = async (serial: string, who = agent) => {
    const res = await t.app.request(`/api/cards/${serial}`, { headers: who.headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as CardView;
  };
  const eventsOf = (serial: string, action?: string) =>
    t.db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.subjectType, 'card'),
          eq(auditEvents.subjectId, serial),
          ...(action ? [eq(auditEvents.action, action)] : []),
        ),
      )
      .orderBy(asc(auditEvents.id));
  const stateOf = async (serial: string) =>
    (await t.db.select({ state: cards.state }).from(cards).where(eq(cards.serial, serial)))[0]
      ?.state;

  /** A card in a seed state: with both certificates of our CA when someone holds it. */
  const seeded = (state: CardState, personId: string | null = priya) =>
    createCard(t, {
      state,
      personId: state === 'in_stock' ? null : personId,
      certificates: state !== 'in_stock',
    });

  /**
   * Makes one move as the RA agent and checks everything a person or a relying party can
   * see: the card's state, reason and time, its certificates' status on the card's page, in
   * the CRL (reason codes, a CRL number that grows) and from OCSP, what the page offers
   * next, and one audit event for the move.
   */
  async function walk(card: TestCard, expected: Map<string, Status>, step: Step) {
    const { row, reason, effect } = step;
    const label = `${row.verb} from ${row.from}${reason ? ` (${reason})` : ''}`;
    const before = await eventsOf(card.serial);
    const crlBefore = await reader.crl();
    const res = await move(agent, card.serial, row.verb, reason ? { reason } : undefined);
    expect(res.status, `${label}: ${await res.clone().text()}`).toBe(200);
    const body = (await res.json()) as CardView;
    expect(body, label).toMatchObject({
      serial: card.serial,
      state: row.to,
      stateReason: reason,
      stateChangedAt: t.clock.now().toISOString(),
    });
    expect(body.actions.sort(), label).toEqual(movesFrom(row.to).sort());

    const changed: string[] = [];
    for (const cert of card.certificates) {
      const was = expected.get(cert.serialNumber) as Status;
      const now = afterEffect(was, effect);
      if (now !== was) changed.push(cert.serialNumber);
      expected.set(cert.serialNumber, now);
      // A card cleared back to stock is blank: its page lists no certificates (the CRL and
      // OCSP below still know them).
      if (row.to !== 'in_stock') {
        expect(
          body.certificates.find((c) => c.serialNumber === cert.serialNumber),
          `${label}: certificate ${cert.profile} on the card's page`,
        ).toMatchObject({ status: now.status, revocationReason: now.reason });
      }
    }
    if (row.to === 'in_stock') expect(body.certificates, `${label}: a blank card`).toEqual([]);

    const after = await eventsOf(card.serial);
    expect(after.length, `${label}: one audit event`).toBe(before.length + 1);
    const event = after.at(-1);
    expect(event?.action, label).toBe(`card.${row.verb}`);
    expect(event?.actorUsername, label).toBe('agent');
    expect(event?.summary, label).toMatchObject({
      serial: card.serial,
      from: row.from,
      to: row.to,
      reason,
    });
    const crl = await reader.crl();
    if (changed.length) {
      expect(crl.number, `${label}: a new CRL`).toBeGreaterThan(crlBefore.number);
      expect(event?.summary.crlNumber, label).toBe(crl.number.toString());
      const listed = Object.entries(event?.summary ?? {}).find(([k]) =>
        k.startsWith('certificates'),
      )?.[1] as string[];
      expect([...listed].sort(), label).toEqual([...changed].sort());
    } else {
      expect(crl.number, `${label}: no new CRL`).toBe(crlBefore.number);
      expect(event?.summary.crlNumber, label).toBeNull();
    }
    for (const cert of card.certificates) {
      const now = expected.get(cert.serialNumber) as Status;
      const where = `${label}: certificate ${cert.profile}`;
      expect(crl.listed.get(cert.serialNumber), `${where} on the CRL`).toBe(
        now.reason ? crlWords[now.reason] : undefined,
      );
      expect(await reader.ocsp(cert.der), `${where} from OCSP`).toEqual(
        now.status === 'valid'
          ? { status: 'good', reason: null }
          : { status: 'revoked', reason: now.reason },
      );
    }
  }

  const valid = (card: TestCard) =>
    new Map<string, Status>(
      card.certificates.map((c) => [c.serialNumber, { status: 'valid', reason: null }]),
    );

  it('derives its walks from the table: every routed row, every reason, from a state a card can be in', () => {
    expect(seedStates.sort()).toEqual(['active', 'blocked', 'in_stock', 'issued_locked']);
    expect(new Set(walkCases.map((c) => c.row.verb))).toEqual(routed);
    // Cancelling takes five reasons from four states; every routed row is walked.
    expect(walkCases.filter((c) => c.row.verb === 'cancel')).toHaveLength(20);
    for (const row of routedRows) expect(pathTo(row.from).seed).toBeDefined();
  });

  for (const step of walkCases) {
    const { row, reason } = step;
    it(`walks a card ${row.from} → ${row.to} by ${row.verb}${reason ? ` (${reason}: ${reasonWords[reason]})` : ''}`, async () => {
      const path = pathTo(row.from);
      const card = await seeded(path.seed);
      const expected = valid(card);
      for (const before of path.steps) await walk(card, expected, before);
      await walk(card, expected, step);
    }, 60_000);
  }

  it('refuses every move the table does not allow from each state: 409 saying the state and what can be done, nothing changed', async () => {
    let refused = 0;
    for (const state of cardStates) {
      const card = await createCard(t, {
        state,
        personId: state === 'in_stock' ? null : priya,
      });
      for (const verb of routedCardVerbs) {
        if (transitionFrom(state, verb)) continue;
        const label = `${verb} from ${state}`;
        const res = await move(agent, card.serial, verb, bodyFor(verb));
        const { error } = (await res.json()) as {
          error: {
            code: string;
            message: string;
            details: { state: string; allowedVerbs: string[] };
          };
        };
        expect(res.status, label).toBe(409);
        expect(error.code, label).toBe('CONFLICT');
        expect(error.message, label).toMatch(
          /^This card is [a-z ]+, so it cannot be [a-z ]+: (it can be [a-z ,]+|that is final)\.$/,
        );
        expect(error.details, label).toEqual({
          state,
          allowedVerbs: cardTransitions.filter((r) => r.from === state).map((r) => r.verb),
        });
        refused += 1;
      }
      expect(await stateOf(card.serial), state).toBe(state);
      expect(await eventsOf(card.serial), state).toEqual([]);
    }
    const allowed = routedRows.length;
    expect(refused).toBe(cardStates.length * routedCardVerbs.length - allowed);
  });

  it('refuses every role without the move’s permission (403), and offers it no button', async () => {
    const sky = await demoPersonId(t, 'Sky');
    for (const verb of routedCardVerbs) {
      const row = transitionFromVerb(verb);
      const permission = permissionOf(verb);
      // The sponsor reads Priya's card (RWG01); the staff member holds their own.
      for (const holder of [priya, sky]) {
        const card = await createCard(t, {
          state: row.from,
          personId: row.from === 'in_stock' ? null : holder,
        });
        for (const account of demoAccounts) {
          if (rolePermissions[account.role].includes(permission as never)) continue;
          const who = await as(account.username);
          const label = `${account.role} ${verb} from ${row.from}`;
          const res = await move(who, card.serial, verb, bodyFor(verb));
          expect(res.status, label).toBe(403);
          expect(((await res.json()) as { error: { code: string } }).error.code, label).toBe(
            'FORBIDDEN',
          );
        }
        expect(await stateOf(card.serial), verb).toBe(row.from);
        expect(await eventsOf(card.serial), verb).toEqual([]);
      }
    }
    // Those who may see the card and may not move it see no button.
    const card = await createCard(t, { state: 'active', personId: priya });
    const skys = await createCard(t, { state: 'active', personId: sky });
    expect((await view(card.serial, await as('sponsor'))).actions).toEqual([]);
    expect((await view(skys.serial, await as('staff'))).actions).toEqual([]);
    for (const username of ['manager', 'advanced', 'agent']) {
      expect((await view(card.serial, await as(username))).actions.sort()).toEqual(
        movesFrom('active').sort(),
      );
    }
  });

  it('refuses an operator their own card where the table says so (separation of duties), and lets them handle its plastic', async () => {
    for (const row of routedRows.filter((r) => r.from !== 'in_stock')) {
      const card = await createCard(t, { state: row.from, personId: alex });
      const label = `${row.verb} own card from ${row.from}`;
      const offered = (await view(card.serial)).actions;
      const res = await move(agent, card.serial, row.verb, bodyFor(row.verb));
      if (row.ownCardForbidden) {
        expect(res.status, label).toBe(403);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code, label).toBe('SEPARATION_OF_DUTIES');
        expect(error.message, label).toMatch(/your own card/);
        expect(offered, label).not.toContain(row.verb);
        expect(await stateOf(card.serial), label).toBe(row.from);
        expect(await eventsOf(card.serial), label).toEqual([]);
      } else {
        expect(offered, label).toContain(row.verb);
        expect(res.status, `${label}: ${await res.clone().text()}`).toBe(200);
        expect(await stateOf(card.serial), label).toBe(row.to);
      }
    }
    // Someone else may cancel it.
    const card = await createCard(t, { state: 'active', personId: alex });
    const res = await move(await as('manager'), card.serial, 'cancel', { reason: 'lost' });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('asks for a reason the table takes: a missing or wrong one is a 400 naming the field and the reasons', async () => {
    for (const verb of routedCardVerbs) {
      const row = transitionFromVerb(verb);
      if (!row.needsReason) continue;
      const card = await createCard(t, { state: row.from, personId: priya });
      const other = cardTransitions
        .flatMap((r) => (r.needsReason && r.verb !== verb ? r.reasons.map((x) => x.reason) : []))
        .find((r) => !row.reasons.some((x) => x.reason === r));
      for (const [body, says] of [
        [{}, /^is needed: say why the card is /],
        [{ reason: '' }, /^is needed: /],
        [{ reason: 'bored' }, /^must be /],
        [{ reason: other }, /^must be /],
      ] as const) {
        const label = `${verb} ${JSON.stringify(body)}`;
        const res = await move(agent, card.serial, verb, body);
        expect(res.status, label).toBe(400);
        const { error } = (await res.json()) as {
          error: { code: string; details: { field: string; message: string }[] };
        };
        expect(error.code, label).toBe('VALIDATION');
        expect(error.details, label).toHaveLength(1);
        expect(error.details[0]?.field, label).toBe('reason');
        expect(error.details[0]?.message, label).toMatch(says);
        for (const allowed of row.reasons) {
          expect(error.details[0]?.message, label).toContain(
            `${reasonWords[allowed.reason]} (${allowed.reason})`,
          );
        }
      }
      expect(await stateOf(card.serial), verb).toBe(row.from);
      expect(await eventsOf(card.serial), verb).toEqual([]);
    }
    // A move that takes no reason refuses one, by name.
    for (const verb of routedCardVerbs.filter((v) => !transitionFromVerb(v).needsReason)) {
      const row = transitionFromVerb(verb);
      const card = await createCard(t, {
        state: row.from,
        personId: row.from === 'in_stock' ? null : priya,
      });
      const res = await move(agent, card.serial, verb, { reason: 'lost' });
      expect(res.status, verb).toBe(400);
      const { error } = (await res.json()) as { error: { details: unknown } };
      expect(error.details, verb).toEqual([
        { field: 'reason', message: 'is not a field this request accepts' },
      ]);
      expect(await stateOf(card.serial), verb).toBe(row.from);
    }
  });

  it('cancels the cards of a person who leaves, in the closing’s transaction: affiliationChanged on the CRL and from OCSP', async () => {
    const checker = await as('idchecker');
    const leaver = await registerActivePerson(t, checker, {
      givenName: 'Lenny',
      familyName: 'Leaver',
    });
    const active = await createCard(t, {
      state: 'active',
      personId: leaver.id,
      certificates: true,
    });
    const suspended = await createCard(t, {
      state: 'active',
      personId: leaver.id,
      certificates: true,
    });
    expect(
      (await move(agent, suspended.serial, 'suspend', { reason: 'reported_missing' })).status,
    ).toBe(200);
    const returned = await createCard(t, { state: 'returned', personId: leaver.id });
    const crlBefore = await reader.crl();

    const res = await post(t, agent, `/api/people/${leaver.id}/close`, {
      reason: 'Left the trust',
    });
    expect(res.status, await res.clone().text()).toBe(200);

    for (const card of [active, suspended]) {
      const seen = await view(card.serial);
      expect(seen).toMatchObject({ state: 'cancelled', stateReason: 'left', actions: ['return'] });
      const [event, ...more] = await eventsOf(card.serial, 'card.cancel');
      expect(more).toEqual([]);
      expect(event?.actorUsername).toBe('agent');
      expect(event?.summary).toMatchObject({
        from: card === active ? 'active' : 'suspended',
        to: 'cancelled',
        reason: 'left',
        revocationReason: 'affiliationChanged',
        cause: 'person_closed',
      });
      const crl = await reader.crl();
      expect(crl.number).toBeGreaterThan(crlBefore.number);
      for (const cert of card.certificates) {
        expect(seen.certificates.find((c) => c.serialNumber === cert.serialNumber)).toMatchObject({
          status: 'revoked',
          revocationReason: 'affiliationChanged',
        });
        expect(crl.listed.get(cert.serialNumber)).toBe('Affiliation Changed');
        expect(await reader.ocsp(cert.der)).toEqual({
          status: 'revoked',
          reason: 'affiliationChanged',
        });
      }
    }
    // A card already handed back has nothing left to cancel.
    expect(await stateOf(returned.serial)).toBe('returned');
    expect(await eventsOf(returned.serial)).toEqual([]);
    const [closed] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'person.closed'), eq(auditEvents.subjectId, leaver.id)));
    expect([...((closed?.summary.cardsCancelled as string[]) ?? [])].sort()).toEqual(
      [active.serial, suspended.serial].sort(),
    );
  });

  it('changes nothing when the CA key is not open and the card has certificates of ours (503)', async () => {
    const card = await seeded('active');
    const crlBefore = await reader.crl();
    const closedCa = { ...t.ctx, certificateAuthority: undefined };
    await expect(
      withTransaction(closedCa, (tx) =>
        transitionCardTx(
          tx,
          { serial: card.serial, verb: 'cancel', reason: 'lost' },
          { actor: 'system' },
        ),
      ),
    ).rejects.toBeInstanceOf(CaUnavailableError);
    expect(await stateOf(card.serial)).toBe('active');
    expect(await eventsOf(card.serial, 'card.cancel')).toEqual([]);
    expect((await reader.crl()).number).toBe(crlBefore.number);
  });

  it('resolves a card’s open flags when it is cancelled, and a card cleared to stock is blank, listed and can be put in a location', async () => {
    const card = await seeded('active');
    const now = t.clock.now();
    const [workstation] = await t.db
      .insert(workstations)
      .values({
        odsCode: 'RWG01',
        name: 'Desk for flags',
        status: 'awaiting_enrolment',
        createdAt: now,
      })
      .returning({ id: workstations.id });
    if (!workstation) throw new Error('workstation not written');
    // Flags a reader raised on the card before it was lost (written straight to the table).
    await t.db.insert(cardFlags).values(
      (['pin_blocked', 'certificate_expiring'] as const).map((kind) => ({
        cardSerial: card.serial,
        kind,
        details: {},
        raisedAt: now,
        lastSeenAt: now,
        workstationId: workstation.id,
      })),
    );
    const manager = await as('manager');
    expect((await move(manager, card.serial, 'cancel', { reason: 'lost' })).status).toBe(200);
    const open = await t.db
      .select({ kind: cardFlags.kind })
      .from(cardFlags)
      .where(and(eq(cardFlags.cardSerial, card.serial), isNull(cardFlags.resolvedAt)));
    expect(open, 'no PIN to unlock or certificate to renew on a cancelled card').toEqual([]);
    expect((await eventsOf(card.serial, 'card.cancel'))[0]?.summary).toMatchObject({
      flagsResolved: 2,
    });

    expect((await move(manager, card.serial, 'return')).status).toBe(200);
    expect((await move(manager, card.serial, 'clear')).status).toBe(200);
    const blank = await view(card.serial, manager);
    expect([blank.state, blank.holder, blank.certificates]).toEqual(['in_stock', null, []]);
    // Kept nowhere yet: the stock managers still find it, and put it somewhere.
    const listed = await t.app.request('/api/cards?state=in_stock&limit=200', {
      headers: manager.headers,
    });
    const rows = ((await listed.json()) as { items: { serial: string }[] }).items;
    expect(rows.map((r) => r.serial)).toContain(card.serial);
    const location = await post(t, manager, '/api/card-locations', {
      odsCode: 'RWG01',
      name: `Returns tray ${card.serial.slice(0, 6)}`,
    });
    expect(location.status, await location.clone().text()).toBe(201);
    const { id: locationId } = (await location.json()) as { id: string };
    const moved = await post(t, manager, '/api/card-stock/moves', {
      serials: [card.serial],
      locationId,
    });
    expect(moved.status, await moved.clone().text()).toBe(200);
    const [row] = await t.db
      .select({ locationId: cards.locationId })
      .from(cards)
      .where(eq(cards.serial, card.serial));
    expect(row?.locationId).toBe(locationId);
  });

  it('lets only the server record a card blocked', async () => {
    const card = await seeded('active');
    const [manager] = await t.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.username, 'manager'));
    const asManager = {
      ...t.ctx,
      actor: {
        accountId: manager?.id ?? '',
        username: 'manager',
        roles: [{ role: 'ra_manager' as const, odsCode: 'RWG' }],
        permissions: permissionsOf(['ra_manager']),
      },
    };
    await expect(
      transitionCard(asManager, { serial: card.serial, verb: 'block' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await stateOf(card.serial)).toBe('active');
    const moved = await withTransaction(t.ctx, (tx) =>
      transitionCardTx(tx, { serial: card.serial, verb: 'block' }, { actor: 'system' }),
    );
    expect(moved).toMatchObject({
      from: 'active',
      to: 'blocked',
      certificates: [],
      crlNumber: null,
    });
    expect((await eventsOf(card.serial, 'card.block')).length).toBe(1);
  });

  describe('another organisation’s card', () => {
    let rxx: Trust;
    beforeAll(async () => {
      rxx = await secondTrust(t);
    }, 120_000);

    it('is answered as no such card, both ways, and is left as it was', async () => {
      const ours = await createCard(t, { state: 'active', personId: priya });
      const theirs = rxx.records.flaggedSerials[0] ?? '';
      expect(await stateOf(theirs)).toBe('active');
      const rxxAgent = rxx.callers.find((c) => c.role === 'ra_agent')?.who as SignedIn;
      for (const verb of routedCardVerbs) {
        const none = await move(agent, 'ffffffffffffffffffffffffffffffff', verb, bodyFor(verb));
        expect(none.status, verb).toBe(404);
        const absent = ((await none.json()) as { error: { message: string } }).error.message;
        for (const [who, serial] of [
          [rxxAgent, ours.serial],
          [agent, theirs],
        ] as const) {
          const res = await move(who, serial, verb, bodyFor(verb));
          expect(res.status, `${verb} ${serial}`).toBe(404);
          expect(((await res.json()) as { error: { message: string } }).error.message).toBe(absent);
        }
      }
      expect(await stateOf(ours.serial)).toBe('active');
      expect(await stateOf(theirs)).toBe('active');
    });
  });

  it('lets one of 20 simultaneous cancels through: the rest 409, one audit event, one revocation', async () => {
    const card = await seeded('active');
    const crlBefore = await reader.crl();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => move(agent, card.serial, 'cancel', { reason: 'stolen' })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array.from({ length: 19 }, () => 409)]);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /^This card is cancelled, so it cannot be cancelled/,
      );
    }
    expect(await eventsOf(card.serial, 'card.cancel')).toHaveLength(1);
    const crl = await reader.crl();
    expect(crl.number).toBe(crlBefore.number + 1n);
    for (const cert of card.certificates) {
      expect(crl.listed.get(cert.serialNumber)).toBe('Key Compromise');
    }
  });
});
