import { randomUUID, webcrypto } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import {
  type CertificateAuthorities,
  createCertificateAuthorities,
} from '../../pki/ca/create-ca.ts';
import { type CertificateProfile, issueCertificate } from '../../pki/ca/issue-certificate.ts';
import { parseCertificate } from '../../pki/certificate-summary.ts';
import { withTransaction } from '../../server/services/context.ts';
import {
  initCertificateAuthority,
  loadCertificateAuthority,
} from '../../server/services/pki/certificate-authority.ts';
import { applyCertificateEffect } from '../../server/services/pki/certificate-effects.ts';
import { issueCardCertificate } from '../../server/services/pki/issue-card-certificate.ts';
import { revokeCertificate } from '../../server/services/pki/revoke-certificate.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'reconciliation test CA passphrase, long enough';
const baseUrl = 'https://ra.example.test';
type Slot = '9a' | '9c';
type CardState = (typeof cards.$inferSelect)['state'];

interface Flag {
  kind: string;
  status: string;
  summary: string;
  action: string;
  card: { serial: string; known: boolean };
  certificate: { slot: string; sha256: string } | null;
  person: { displayName: string } | null;
}

/**
 * Reconciliation (issue 10): each sighting of a card, posted by an enrolled agent exactly as
 * `watch` posts it, is judged against the card's record, the certificates our CA recorded and
 * the CA itself. Card states are set straight in the database here: the lifecycle's
 * transitions are another part of the issue, and these tests are about what a reader sees.
 */
describe.each(testDrivers)(
  'reconciling what readers see with the records and the CA (%s)',
  (driver) => {
    let t: TestApp;
    let manager: SignedIn;
    let agent: Record<string, string>;
    let theirs: CertificateAuthorities;
    let spki: Buffer;
    let sequence = 0;
    let priya: { id: string; userId: string };
    let tomasz: { id: string; userId: string };

    beforeAll(async () => {
      t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
      await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
      // Opened once, as the server opens it at start, not first inside a transaction.
      expect(await t.ctx.certificateAuthority?.()).not.toBeNull();
      // A throwaway CA of somewhere else: its certificates are foreign, and its key forges ours.
      theirs = await createCertificateAuthorities({
        organisation: 'Elsewhere Trust',
        now: t.clock.now(),
      });
      const pair = await webcrypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['sign', 'verify'],
      );
      spki = Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
      priya = await person('Priya', 'Patel');
      tomasz = await person('Tomasz', 'Nowak');

      manager = await t.login('manager');
      const registered = await post(
        '/api/workstations',
        { name: 'RA desk (reconciliation)', odsCode: 'RWG01' },
        manager.headers,
      );
      expect(registered.status).toBe(201);
      const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
      const enrolled = await post(
        '/api/agent/enrol',
        { code: enrolment.code },
        { 'content-type': 'application/json', 'x-forwarded-for': '10.9.0.1' },
      );
      expect(enrolled.status).toBe(201);
      const { credential } = (await enrolled.json()) as { credential: string };
      agent = { 'content-type': 'application/json', authorization: `Bearer ${credential}` };
    });
    beforeEach(async () => {
      manager = await t.login('manager');
    });
    afterAll(() => t.close());

    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      t.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });

    async function person(given: string, family: string) {
      const [row] = await t.db
        .select({ id: people.id, userId: people.userId })
        .from(people)
        .where(and(eq(people.givenName, given), eq(people.familyName, family)));
      if (!row?.userId) throw new Error(`the demo trust has no ${given} ${family} with a user ID`);
      return { id: row.id, userId: row.userId };
    }

    /** A card record in a given state, written straight to the database (see above). */
    async function newCard(state: CardState, personId: string | null) {
      const serial = randomUUID().replace(/-/g, '');
      const now = t.clock.now();
      const [row] = await t.db
        .insert(cards)
        .values({ serial, personId, state, stateChangedAt: now, createdAt: now, updatedAt: now })
        .returning({ id: cards.id });
      if (!row) throw new Error('card not written');
      return { id: row.id, serial };
    }

    const setState = (card: { id: string }, state: CardState, stateReason: string | null = null) =>
      t.db
        .update(cards)
        .set({ state, stateReason, stateChangedAt: t.clock.now() })
        .where(eq(cards.id, card.id));

    /** Our CA issues a certificate for the card, recorded as its current one for the slot. */
    async function issue(
      card: { id: string },
      holder: { id: string },
      profile: CertificateProfile = 'authentication',
    ) {
      const issued = await withTransaction(t.ctx, (tx) =>
        issueCardCertificate(tx, {
          cardId: card.id,
          personId: holder.id,
          profile,
          subjectPublicKeyInfo: spki,
          baseUrl,
          validityDays: 730,
          upnDomain: 'nhs.net',
        }),
      );
      return { id: issued.id, der: issued.certificate };
    }

    /** The holder's certificate as another CA signs it (`as` our issuing CA's name: a forgery). */
    async function signedElsewhere(holder: { userId: string }, as: 'theirs' | 'forged') {
      const ours = await loadCertificateAuthority(t.ctx, passphrase);
      if (!ours) throw new Error('no CA');
      const issuingCa =
        as === 'theirs'
          ? theirs.issuing
          : { certificate: ours.issuing.certificate, privateKey: theirs.issuing.privateKey };
      const made = await issueCertificate({
        issuingCa,
        subjectPublicKeyInfo: spki,
        holder: {
          name: 'Priya Patel',
          uuid: holder.userId,
          upn: `${holder.userId}@nhs.net`,
          email: 'priya@example.test',
        },
        profile: 'authentication',
        baseUrl,
        now: t.clock.now(),
      });
      return made.certificate;
    }

    /** What the agent sends of a certificate: its summary and (unless told) its DER. */
    const report = (der: Buffer, withDer = true) => ({
      ...parseCertificate(der),
      ...(withDer ? { der: der.toString('base64') } : {}),
    });

    function observation(serial: string, slots: Partial<Record<Slot, Buffer>>, withDer = true) {
      return {
        idempotencyKey: randomUUID(),
        sequence: ++sequence,
        observedAt: t.clock.now().toISOString(),
        kind: 'card_inserted',
        reader: 'RA Test Reader 00 00',
        atr: '3bf81300008131fe15597562696b657934d4',
        cardSerial: serial,
        card: {
          cardType: 'PIV',
          chuid: { guid: serial, fascn: null, expiry: '20351231' },
          certificates: Object.entries(slots).map(([slot, der]) => ({
            slot,
            certificate: report(der as Buffer, withDer),
          })),
          pin: { triesLeft: 3, blocked: false, verified: false },
        },
        error: null,
      };
    }

    /** The agent reports the card in a reader, and the server takes it. */
    async function see(serial: string, slots: Partial<Record<Slot, Buffer>>, withDer = true) {
      // Each sighting a minute after the last: a card's flags move only forward in time.
      t.clock.advance(60_000);
      const res = await post('/api/agent/observations', observation(serial, slots, withDer), agent);
      expect(res.status, await res.clone().text()).toBe(201);
    }

    async function flagsOf(serial: string, status: 'open' | 'resolved') {
      const res = await t.app.request(`/api/flags?status=${status}&limit=200`, {
        headers: manager.headers,
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Flag[] }).items.filter(
        (f) => f.card.serial === serial,
      );
    }
    const kinds = async (serial: string, status: 'open' | 'resolved' = 'open') =>
      (await flagsOf(serial, status)).map((f) => f.kind).sort();
    const summaries = async (serial: string) =>
      (await flagsOf(serial, 'open')).map((f) => f.summary).sort();

    it('takes a sighting of a card as issued with nothing to flag', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya, 'authentication');
      const sign = await issue(card, priya, 'signature');
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      expect(await kinds(card.serial)).toEqual([]);
    });

    it('flags a cancelled card in use, without flagging its revoked certificates again, until it is returned', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya);
      // Cancelled as lost: the lifecycle revokes its certificates with it.
      await setState(card, 'cancelled', 'lost');
      await withTransaction(t.ctx, (tx) =>
        applyCertificateEffect(tx, { cardId: card.id, effect: { revoke: 'keyCompromise' } }),
      );
      await see(card.serial, { '9a': auth.der });
      const [flag] = await flagsOf(card.serial, 'open');
      expect(await kinds(card.serial)).toEqual(['cancelled_card_in_use']);
      expect(flag).toMatchObject({
        summary: 'A cancelled card in use',
        person: { displayName: 'Priya Patel' },
      });
      expect(flag?.action).toContain('takes it back');

      // Taken back: a returned card may still hold its own (revoked) certificates until it is
      // cleared, so reading it at the desk raises nothing and the cancelled flag resolves.
      await setState(card, 'returned');
      await see(card.serial, { '9a': auth.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual(['cancelled_card_in_use']);

      // Destroyed, yet seen again: the same flag, in stronger words.
      await setState(card, 'destroyed');
      await see(card.serial, {});
      expect(await summaries(card.serial)).toEqual(['A destroyed card in use']);
    });

    it('flags a suspended card in use (its held certificates with it), and resolves it when reinstated', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya);
      await setState(card, 'suspended', 'reported_missing');
      await withTransaction(t.ctx, (tx) =>
        applyCertificateEffect(tx, { cardId: card.id, effect: 'hold' }),
      );
      await see(card.serial, { '9a': auth.der });
      // The hold is the suspension's own doing: one flag says it, not a second one per certificate.
      expect(await kinds(card.serial)).toEqual(['suspended_card_in_use']);

      await setState(card, 'active');
      await withTransaction(t.ctx, (tx) =>
        applyCertificateEffect(tx, { cardId: card.id, effect: 'release' }),
      );
      await see(card.serial, { '9a': auth.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual(['suspended_card_in_use']);
    });

    it('flags a revoked certificate on an active card, on hold or for good, until it is released or renewed', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya);
      const sign = await issue(card, priya, 'signature');
      await withTransaction(t.ctx, (tx) =>
        revokeCertificate(tx, { certificateId: sign.id, reason: 'certificateHold' }),
      );
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      expect(await summaries(card.serial)).toEqual(['Signing certificate on hold']);
      await withTransaction(t.ctx, (tx) =>
        revokeCertificate(tx, { certificateId: sign.id, reason: 'removeFromCRL' }),
      );
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      expect(await kinds(card.serial)).toEqual([]);

      await withTransaction(t.ctx, (tx) =>
        revokeCertificate(tx, { certificateId: auth.id, reason: 'keyCompromise' }),
      );
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      const [revoked] = await flagsOf(card.serial, 'open');
      expect(revoked).toMatchObject({
        kind: 'certificate_revoked',
        summary: 'Authentication certificate revoked',
        certificate: { slot: '9a', sha256: parseCertificate(auth.der).sha256 },
      });
      // An agent that sends no DER is judged on the records all the same.
      await see(card.serial, { '9a': auth.der, '9c': sign.der }, false);
      expect(await kinds(card.serial)).toEqual(['certificate_revoked']);

      // Renewed: the new certificate on the card, the old one no longer there.
      const renewed = await issue(card, priya);
      await see(card.serial, { '9a': renewed.der, '9c': sign.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual([
        'certificate_revoked',
        'certificate_revoked',
      ]);
    });

    it('flags a certificate issued for another card, and one left behind by a renewal', async () => {
      const first = await newCard('active', priya.id);
      const second = await newCard('active', priya.id);
      const firstAuth = await issue(first, priya);
      const secondAuth = await issue(second, priya);
      // The first card's certificate copied onto the second.
      await see(second.serial, { '9a': firstAuth.der });
      expect(await summaries(second.serial)).toEqual([
        'Authentication certificate was issued for another card',
      ]);
      const [copied] = await flagsOf(second.serial, 'open');
      expect(copied?.action).toContain('cancels it');
      await see(second.serial, { '9a': secondAuth.der });
      expect(await kinds(second.serial)).toEqual([]);
      expect(await kinds(second.serial, 'resolved')).toEqual(['certificates_differ']);

      // Renewed in the records, but the card still holds the certificate it replaced.
      const renewed = await issue(first, priya);
      await see(first.serial, { '9a': firstAuth.der });
      expect(await summaries(first.serial)).toEqual([
        'Authentication certificate is not the one this RA issued for the card',
      ]);
      await see(first.serial, { '9a': renewed.der });
      expect(await kinds(first.serial)).toEqual([]);
    });

    it('flags a card missing a certificate we issued for it, until it holds it again', async () => {
      const card = await newCard('issued_locked', priya.id);
      const auth = await issue(card, priya);
      const sign = await issue(card, priya, 'signature');
      await see(card.serial, { '9a': auth.der });
      const [missing] = await flagsOf(card.serial, 'open');
      expect(missing).toMatchObject({
        kind: 'certificates_differ',
        summary: 'Signing certificate this RA issued for the card is missing',
        certificate: { slot: '9c', sha256: parseCertificate(sign.der).sha256 },
      });
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual(['certificates_differ']);
    });

    it('tells apart, by its DER, a certificate our CA signed but never recorded, a forged one and a foreign one', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya);
      const ours = await loadCertificateAuthority(t.ctx, passphrase);
      if (!ours) throw new Error('no CA');
      // Signed by our issuing CA's own key, outside the issuing verb: nothing recorded it.
      const unrecorded = (
        await issueCertificate({
          issuingCa: ours.issuing,
          subjectPublicKeyInfo: spki,
          holder: {
            name: 'Priya Patel',
            uuid: priya.userId,
            upn: `${priya.userId}@nhs.net`,
            email: 'priya@example.test',
          },
          profile: 'authentication',
          baseUrl,
          now: t.clock.now(),
        })
      ).certificate;
      await see(card.serial, { '9a': unrecorded });
      expect(await summaries(card.serial)).toEqual([
        'Authentication certificate signed by this RA’s CA was never recorded for the card',
      ]);

      // Without its DER the server cannot check the signature: by the records, not ours.
      await see(card.serial, { '9a': unrecorded }, false);
      expect(await kinds(card.serial)).toEqual(['foreign_certificate']);

      const forged = await signedElsewhere(priya, 'forged');
      expect(parseCertificate(forged).issuer).toBe(parseCertificate(auth.der).issuer);
      await see(card.serial, { '9a': forged });
      const [notChaining] = await flagsOf(card.serial, 'open');
      expect(notChaining).toMatchObject({
        kind: 'certificate_not_chaining',
        summary: 'Authentication certificate names this RA’s CA but was not signed by it',
      });
      expect(notChaining?.action).toContain('forged');

      const foreign = await signedElsewhere(priya, 'theirs');
      await see(card.serial, { '9a': foreign });
      expect(await kinds(card.serial)).toEqual(['foreign_certificate']);

      await see(card.serial, { '9a': auth.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual([
        'certificate_not_chaining',
        'certificates_differ',
        'foreign_certificate',
        'foreign_certificate',
      ]);
    });

    it('flags a card in stock seen with a certificate, and not a blank one', async () => {
      const card = await newCard('in_stock', null);
      await see(card.serial, {});
      expect(await kinds(card.serial)).toEqual([]);
      const foreign = await signedElsewhere(priya, 'theirs');
      await see(card.serial, { '9a': foreign });
      expect(await kinds(card.serial)).toEqual(['foreign_certificate', 'stock_card_in_use']);
      // No holder on record: the certificate's user ID names whose hands it is in.
      const [inUse] = (await flagsOf(card.serial, 'open')).filter(
        (f) => f.kind === 'stock_card_in_use',
      );
      expect(inUse).toMatchObject({
        summary: 'A card in stock in use',
        person: { displayName: 'Priya Patel' },
      });
      // Cleared again.
      await see(card.serial, {});
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual([
        'foreign_certificate',
        'stock_card_in_use',
      ]);
    });

    it('flags a certificate that names someone other than the card’s holder, until the card holds theirs', async () => {
      // The card was Tomasz's when its certificates were issued, and its record was then
      // changed to Priya (written straight to the database: the CA refuses to issue a
      // certificate naming anyone but the card's holder). It names Tomasz by UPN and serialNumber.
      const card = await newCard('active', tomasz.id);
      const wrong = await issue(card, tomasz);
      const wrongSign = await issue(card, tomasz, 'signature');
      await t.db.update(cards).set({ personId: priya.id }).where(eq(cards.id, card.id));
      await see(card.serial, { '9a': wrong.der, '9c': wrongSign.der });
      const open = await flagsOf(card.serial, 'open');
      const bySlot = open.sort((a, b) =>
        String(a.certificate?.slot).localeCompare(String(b.certificate?.slot)),
      );
      expect(bySlot.map((f) => [f.kind, f.certificate?.slot, f.summary])).toEqual([
        ['holder_differs', '9a', 'Authentication certificate names someone other than the holder'],
        ['holder_differs', '9c', 'Signing certificate names someone other than the holder'],
      ]);
      expect(open[0]?.person?.displayName).toBe('Priya Patel');

      const right = await issue(card, priya);
      const rightSign = await issue(card, priya, 'signature');
      await see(card.serial, { '9a': right.der, '9c': rightSign.der });
      expect(await kinds(card.serial)).toEqual([]);
      expect(await kinds(card.serial, 'resolved')).toEqual(['holder_differs', 'holder_differs']);
    });

    it('refuses a certificate whose DER is not the one its sha256 names, too large, or not a certificate, naming the slot, and stores nothing', async () => {
      const card = await newCard('active', priya.id);
      const auth = await issue(card, priya);
      const sign = await issue(card, priya, 'signature');
      const count = async () => {
        const result = await t.db.execute(
          sql`select count(*)::int as n from card_observations where card_serial = ${card.serial}`,
        );
        const rows =
          (result as { rows?: { n: number }[] }).rows ?? (result as unknown as { n: number }[]);
        return rows[0]?.n;
      };
      const refused = async (body: ReturnType<typeof observation>) => {
        const res = await post('/api/agent/observations', body, agent);
        expect(res.status).toBe(400);
        const { error } = (await res.json()) as {
          error: { code: string; details: { field: string; message: string }[] };
        };
        expect(error.code).toBe('VALIDATION');
        return error.details;
      };

      // The signing certificate's DER sent under the authentication certificate's summary.
      const mismatched = observation(card.serial, { '9a': auth.der, '9c': sign.der });
      const entries = mismatched.card.certificates;
      const [authEntry, signEntry] = entries;
      if (!authEntry || !signEntry) throw new Error('two certificates expected');
      entries[0] = {
        ...authEntry,
        certificate: { ...authEntry.certificate, der: sign.der.toString('base64') },
      };
      expect(await refused(mismatched)).toEqual([
        {
          field: 'card.certificates.0.certificate.der',
          message: expect.stringMatching(
            /^The certificate in slot 9a: der is not the certificate whose sha256 was reported/,
          ),
        },
      ]);

      // Over 16 KiB, and bytes that are no certificate, at once.
      const oversized = observation(card.serial, { '9a': auth.der, '9c': sign.der });
      const [big, junk] = oversized.card.certificates;
      if (!big || !junk) throw new Error('two certificates expected');
      oversized.card.certificates = [
        {
          ...big,
          certificate: {
            ...big.certificate,
            der: Buffer.concat([auth.der, Buffer.alloc(16 * 1024)]).toString('base64'),
          },
        },
        {
          ...junk,
          certificate: {
            ...junk.certificate,
            der: Buffer.from('not a certificate').toString('base64'),
          },
        },
      ];
      expect(await refused(oversized)).toEqual([
        {
          field: 'card.certificates.0.certificate.der',
          message: 'The certificate in slot 9a is larger than 16 KiB: its DER is refused',
        },
        {
          field: 'card.certificates.1.certificate.der',
          message: expect.stringMatching(
            /^The certificate in slot 9c: der is not an X\.509 certificate/,
          ),
        },
      ]);

      const notBase64 = observation(card.serial, { '9c': sign.der });
      const [entry] = notBase64.card.certificates;
      if (!entry) throw new Error('a certificate expected');
      notBase64.card.certificates = [
        { ...entry, certificate: { ...entry.certificate, der: '%%%' } },
      ];
      expect(await refused(notBase64)).toEqual([
        {
          field: 'card.certificates.0.certificate.der',
          message: "The certificate in slot 9c: der must be the certificate's DER in base64",
        },
      ]);
      // Four slots of 16 KiB each are over the API's usual 64 KiB body: still read and judged
      // (here, as no certificates), not cut off unread.
      const full = observation(card.serial, { '9a': auth.der });
      const [first] = full.card.certificates;
      if (!first) throw new Error('a certificate expected');
      const sixteenKiB = Buffer.alloc(16 * 1024, 0x30).toString('base64');
      full.card.certificates = (['9a', '9c', '9d', '9e'] as const).map((slot) => ({
        slot,
        certificate: { ...first.certificate, der: sixteenKiB },
      }));
      expect(JSON.stringify(full).length).toBeGreaterThan(64 * 1024);
      expect((await refused(full)).map((d) => d.message)).toEqual(
        ['9a', '9c', '9d', '9e'].map((slot) =>
          expect.stringMatching(
            `^The certificate in slot ${slot}: der is not an X.509 certificate`,
          ),
        ),
      );
      expect(await count()).toBe(0);
      expect(await kinds(card.serial)).toEqual([]);

      // The same card, reported rightly, is taken.
      await see(card.serial, { '9a': auth.der, '9c': sign.der });
      expect(await count()).toBe(1);
    });
  },
);
