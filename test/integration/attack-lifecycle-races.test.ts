import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { certificateAuthorities } from '../../db/schema/pki.ts';
import { cardVerbs, transitionFrom } from '../../server/services/cards/card-lifecycle.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { createCard, type TestCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post, registerActivePerson } from '../support/people.ts';
import { RevocationReader } from '../support/revocation-status.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'attack lifecycle races passphrase';

const crlWords: Record<string, string> = {
  keyCompromise: 'Key Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  certificateHold: 'Certificate Hold',
};
const revokeFor: Record<string, string> = {
  lost: 'keyCompromise',
  stolen: 'keyCompromise',
  damaged: 'cessationOfOperation',
  left: 'affiliationChanged',
  replaced: 'superseded',
};

describe.each(testDrivers)('attack: moves of one card at once (%s)', (driver) => {
  let t: TestApp;
  let reader: RevocationReader;
  let agent: SignedIn;
  let manager: SignedIn;
  let advanced: SignedIn;
  let priya: string;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    t.clock.advance(Date.now() - 60_000 - t.clock.now().getTime());
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
    reader = new RevocationReader(t);
    agent = await t.login('agent');
    manager = await t.login('manager');
    advanced = await t.login('advanced');
    priya = await demoPersonId(t, 'Priya');
  }, 120_000);
  afterAll(async () => {
    reader?.close();
    await t?.close();
  });

  const move = (who: SignedIn, serial: string, verb: string, body?: unknown) => {
    const headers: Record<string, string> = { ...who.headers };
    if (body === undefined) delete headers['content-type'];
    return t.app.request(`/api/cards/${serial}/${verb}`, {
      method: 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  const crlNumber = async () =>
    (
      await t.db
        .select({ n: certificateAuthorities.crlNumber })
        .from(certificateAuthorities)
        .where(eq(certificateAuthorities.name, 'issuing'))
    )[0]?.n ?? 0n;
  /** The card's lifecycle moves as audited (not its certificates' issue events). */
  const eventsOf = (serial: string) =>
    t.db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.subjectType, 'card'),
          eq(auditEvents.subjectId, serial),
          inArray(
            auditEvents.action,
            cardVerbs.map((v) => `card.${v}`),
          ),
        ),
      )
      .orderBy(asc(auditEvents.id));

  /**
   * The invariants after any burst of moves on `card`: every 200 is one audit event, each
   * event's from → to is a row of the table and they chain from `start`; the card's state is
   * the last event's `to`; its certificates are as the last certificate-changing event left
   * them (never on hold on a cancelled card, never good after a final revocation); the CRL
   * grew by one per event that changed a certificate, and lists exactly what the database
   * says, with the reason.
   */
  async function checkAfter(
    card: TestCard,
    start: string,
    responses: Response[],
    crlBefore: bigint,
    eventsBefore: number,
  ) {
    const statuses = responses.map((r) => r.status);
    for (const [i, res] of responses.entries()) {
      expect([200, 409], `response ${i}: ${await res.clone().text()}`).toContain(res.status);
    }
    const events = (await eventsOf(card.serial)).slice(eventsBefore);
    const ok = statuses.filter((s) => s === 200).length;
    expect(events.length, 'one audit event per move made').toBe(
      ok + events.filter((e) => e.summary.cause === 'person_closed').length,
    );
    let state = start;
    for (const e of events) {
      const s = e.summary as { from: string; to: string };
      expect(s.from, `event ${e.action}`).toBe(state);
      const verb = e.action.replace('card.', '');
      expect(transitionFrom(s.from as never, verb as never)?.to, `${verb} from ${s.from}`).toBe(
        s.to,
      );
      state = s.to;
    }
    const [row] = await t.db.select().from(cards).where(eq(cards.id, card.id));
    expect(row?.state).toBe(state);
    const withCrl = events.filter((e) => e.summary.crlNumber !== null);
    expect(await crlNumber(), 'CRL grew once per move that changed a certificate').toBe(
      crlBefore + BigInt(withCrl.length),
    );
    const numbers = withCrl.map((e) => BigInt(e.summary.crlNumber as string));
    expect(
      [...numbers].sort((a, b) => (a < b ? -1 : 1)),
      'CRL numbers distinct',
    ).toEqual([...new Set(numbers)].sort((a, b) => (a < b ? -1 : 1)));
    const certs = await t.db.select().from(certificates).where(eq(certificates.cardId, card.id));
    for (const cert of certs) {
      if (state === 'cancelled') {
        expect(cert.revocationReason, 'cancelled: revoked for good').not.toBeNull();
        expect(cert.revocationReason, 'cancelled: not on hold').not.toBe('certificateHold');
        const cancel = events.find((e) => e.action === 'card.cancel');
        if (cancel) {
          expect(cert.revocationReason).toBe(
            revokeFor[(cancel.summary as { reason: string }).reason],
          );
        }
      } else if (state === 'suspended') {
        expect(cert.revocationReason).toBe('certificateHold');
      } else {
        expect(cert.revocationReason).toBeNull();
      }
    }
    const crl = await reader.crl();
    expect(crl.number).toBe(await crlNumber());
    for (const cert of certs) {
      expect(crl.listed.get(cert.serialNumber), `CRL entry of ${cert.profile}`).toBe(
        cert.revocationReason ? crlWords[cert.revocationReason] : undefined,
      );
    }
    return state;
  }

  it('20 cancels at once with different reasons and spellings: one wins, its reason everywhere', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    const crlBefore = await crlNumber();
    const reasons = ['lost', 'stolen', 'damaged', 'left', 'replaced'];
    const callers = [agent, manager, advanced];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        move(
          callers[i % 3] as SignedIn,
          i % 2 ? card.serial.toUpperCase() : card.serial,
          'cancel',
          { reason: reasons[i % 5] },
        ),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await checkAfter(card, 'active', responses, crlBefore, 0)).toBe('cancelled');
  });

  it('suspend and cancel at once, many times: cancelled with the cancel reason, never left on hold', async () => {
    for (let round = 0; round < 6; round++) {
      const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
      const crlBefore = await crlNumber();
      const ops = [
        () => move(agent, card.serial, 'suspend', { reason: 'reported_missing' }),
        () => move(manager, card.serial, 'cancel', { reason: 'damaged' }),
        () => move(advanced, card.serial, 'suspend', { reason: 'reported_missing' }),
      ];
      const responses = await Promise.all(
        round % 2 ? ops.reverse().map((f) => f()) : ops.map((f) => f()),
      );
      expect(await checkAfter(card, 'active', responses, crlBefore, 0)).toBe('cancelled');
    }
  });

  it('reinstate and cancel at once on a suspended card: a cancelled card’s certificates never come back', async () => {
    for (let round = 0; round < 6; round++) {
      const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
      expect(
        (await move(agent, card.serial, 'suspend', { reason: 'reported_missing' })).status,
      ).toBe(200);
      const crlBefore = await crlNumber();
      const ops = [
        () => move(manager, card.serial, 'reinstate'),
        () => move(agent, card.serial, 'cancel', { reason: 'stolen' }),
        () => move(advanced, card.serial, 'reinstate'),
        () => move(advanced, card.serial, 'suspend', { reason: 'reported_missing' }),
      ];
      const responses = await Promise.all(
        round % 2 ? ops.reverse().map((f) => f()) : ops.map((f) => f()),
      );
      const state = await checkAfter(card, 'suspended', responses, crlBefore, 1);
      expect(state).toBe('cancelled');
      for (const cert of card.certificates) {
        expect(await reader.ocsp(cert.der)).toEqual({ status: 'revoked', reason: 'keyCompromise' });
      }
      // And never after: reinstate is refused
      const again = await move(manager, card.serial, 'reinstate');
      expect(again.status).toBe(409);
    }
  });

  it('cancel and suspend while the holder is being closed: one cancel each, person closed, no 500', async () => {
    const checker = await t.login('idchecker');
    for (let round = 0; round < 3; round++) {
      const leaver = await registerActivePerson(t, checker, {
        givenName: `Rory${'abc'[round]}`,
        familyName: 'Racer',
      });
      const one = await createCard(t, { state: 'active', personId: leaver.id, certificates: true });
      const two = await createCard(t, { state: 'active', personId: leaver.id, certificates: true });
      const three = await createCard(t, {
        state: 'active',
        personId: leaver.id,
        certificates: true,
      });
      expect(
        (await move(agent, three.serial, 'suspend', { reason: 'reported_missing' })).status,
      ).toBe(200);
      const crlBefore = await crlNumber();
      const before = new Map<string, number>();
      for (const c of [one, two, three]) before.set(c.serial, (await eventsOf(c.serial)).length);
      const ops = [
        () => move(agent, one.serial, 'cancel', { reason: 'lost' }),
        () => post(t, manager, `/api/people/${leaver.id}/close`, { reason: 'Left the trust' }),
        () => move(advanced, two.serial, 'suspend', { reason: 'reported_missing' }),
        () => move(advanced, three.serial, 'reinstate'),
      ];
      const responses = await Promise.all(
        round % 2 ? ops.reverse().map((f) => f()) : ops.map((f) => f()),
      );
      for (const res of responses) {
        expect([200, 409], await res.clone().text()).toContain(res.status);
      }
      const [person] = await t.db.select().from(people).where(eq(people.id, leaver.id));
      expect(person?.status).toBe('closed');
      const cardResponses =
        round % 2
          ? [responses[3], responses[1], responses[0]]
          : [responses[0], responses[2], responses[3]];
      const starts = ['active', 'active', 'suspended'];
      let crlGrowth = 0n;
      for (const [i, c] of [one, two, three].entries()) {
        const events = (await eventsOf(c.serial)).slice(before.get(c.serial));
        crlGrowth += BigInt(events.filter((e) => e.summary.crlNumber !== null).length);
        expect(
          events.filter((e) => e.action === 'card.cancel'),
          c.serial,
        ).toHaveLength(1);
        const [row] = await t.db.select().from(cards).where(eq(cards.id, c.id));
        expect(row?.state).toBe('cancelled');
        const certs = await t.db.select().from(certificates).where(eq(certificates.cardId, c.id));
        for (const cert of certs) {
          expect(cert.revocationReason).not.toBeNull();
          expect(cert.revocationReason).not.toBe('certificateHold');
        }
        void cardResponses[i];
        void starts[i];
      }
      expect(await crlNumber()).toBe(crlBefore + crlGrowth);
      const [closed] = await t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'person.closed'), eq(auditEvents.subjectId, leaver.id)));
      const cancelledByClose = (closed?.summary.cardsCancelled as string[]) ?? [];
      const closeEvents = await t.db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.action, 'card.cancel'),
            inArray(auditEvents.subjectId, [one.serial, two.serial, three.serial]),
          ),
        );
      expect(
        closeEvents
          .filter((e) => e.summary.cause === 'person_closed')
          .map((e) => e.subjectId)
          .sort(),
      ).toEqual([...cancelledByClose].sort());
      const crl = await reader.crl();
      for (const c of [one, two, three]) {
        for (const cert of c.certificates) expect(crl.listed.get(cert.serialNumber)).toBeDefined();
      }
    }
  });
});
