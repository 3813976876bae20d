import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { certificateAuthorities } from '../../db/schema/pki.ts';
import { type CertificateProfile, issueCertificate } from '../../pki/ca/issue-certificate.ts';
import { parseCertificate } from '../../pki/certificate-summary.ts';
import {
  ConflictError,
  type DomainError,
  NotFoundError,
  statusOf,
  ValidationError,
} from '../../server/errors.ts';
import { withTransaction } from '../../server/services/context.ts';
import {
  initCertificateAuthority,
  loadCertificateAuthority,
} from '../../server/services/pki/certificate-authority.ts';
import {
  applyCertificateEffect,
  type CardCertificateEffect,
} from '../../server/services/pki/certificate-effects.ts';
import { crlLifetimeMs, crlRefreshMarginMs } from '../../server/services/pki/crl-lifetime.ts';
import { issueCardCertificate } from '../../server/services/pki/issue-card-certificate.ts';
import { CaUnavailableError } from '../../server/services/pki/publish-crl.ts';
import { refreshCrlIfDue } from '../../server/services/pki/refresh-crl.ts';
import {
  type RevokeReason,
  revokeCertificate,
} from '../../server/services/pki/revoke-certificate.ts';
import { testDrivers } from '../support/databases.ts';
import { opensslWorkbench, pem } from '../support/openssl.ts';
import { demoPersonId } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const passphrase = 'the CA verbs test passphrase';
const baseUrl = 'https://ra.example.test';
const dayMs = 86_400_000;

type KeyKind = 'P-256' | 'RSA-2048';

/** A key pair as a card would make it; only the public half is ever sent to the CA. */
async function publicKeyOf(kind: KeyKind): Promise<Buffer> {
  const pair =
    kind === 'P-256'
      ? await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
          'sign',
          'verify',
        ])
      : await webcrypto.subtle.generateKey(
          {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
          true,
          ['sign', 'verify'],
        );
  return Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
}

/** The revoked entries of `openssl crl -text`: upper-case serial → reason as openssl words it. */
function crlEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const entry =
    /Serial Number: ([0-9A-F]+)\s+Revocation Date: [^\n]+\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s*\n\s*([^\n]+)/g;
  for (const m of text.matchAll(entry)) entries.set(m[1] ?? '', (m[2] ?? '').trim());
  return entries;
}

describe.each(testDrivers)('the CA verbs, judged by openssl (%s)', (driver) => {
  let t: TestApp;
  const bench = opensslWorkbench('ra-ca-verbs-');
  let rootFile: string;
  let issuingFile: string;
  let issuingDer: Buffer;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    // openssl judges the CRL's and OCSP answers' times by the real clock.
    t.clock.advance(Date.now() - 60_000 - t.clock.now().getTime());
  });
  afterAll(async () => {
    await t?.close();
    rmSync(bench.dir, { recursive: true, force: true });
  });

  async function newCard(givenName: string) {
    const personId = await demoPersonId(t, givenName);
    const now = t.clock.now();
    const [card] = await t.db
      .insert(cards)
      .values({
        serial: randomBytes(16).toString('hex'),
        personId,
        state: 'active',
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: cards.id, serial: cards.serial });
    if (!card) throw new Error('no card');
    return { cardId: card.id, serial: card.serial, personId };
  }
  type Card = Awaited<ReturnType<typeof newCard>>;

  function issue(
    card: Card,
    options: { kind?: KeyKind; profile?: CertificateProfile; spki?: Uint8Array } = {},
    ctx = t.ctx,
  ) {
    return withTransaction(ctx, async (tx) =>
      issueCardCertificate(tx, {
        cardId: card.cardId,
        personId: card.personId,
        profile: options.profile ?? 'authentication',
        subjectPublicKeyInfo: options.spki ?? (await publicKeyOf(options.kind ?? 'P-256')),
        baseUrl,
        validityDays: 730,
        upnDomain: 'nhs.uk',
      }),
    );
  }
  async function cardWithCertificate(givenName: string, kind: KeyKind = 'P-256') {
    const card = await newCard(givenName);
    return { ...card, cert: await issue(card, { kind }) };
  }
  const effect = (cardId: string, certificateEffect: CardCertificateEffect) =>
    withTransaction(t.ctx, (tx) =>
      applyCertificateEffect(tx, { cardId, effect: certificateEffect }),
    );

  /** The CRL as a relying party fetches it, read by openssl (signature checked). */
  async function publishedCrl() {
    const res = await t.app.request('/pki/issuing.crl');
    expect(res.status).toBe(200);
    const path = bench.file(pem(Buffer.from(await res.arrayBuffer()), 'X509 CRL'));
    const read = await bench.run(['crl', '-in', path, '-noout', '-text', '-CAfile', issuingFile]);
    expect(read.status, read.output).toBe(0);
    expect(read.output).toMatch(/verify OK/);
    const number = /X509v3 CRL Number:\s*\n\s*(\d+)/.exec(read.output)?.[1];
    if (!number) throw new Error(`no CRL number in:\n${read.output}`);
    return { path, text: read.output, number: BigInt(number), entries: crlEntries(read.output) };
  }
  function verify(certificate: Uint8Array, crlPath: string) {
    return bench.run([
      'verify',
      '-crl_check',
      '-CAfile',
      rootFile,
      '-untrusted',
      issuingFile,
      '-CRLfile',
      crlPath,
      bench.file(pem(certificate)),
    ]);
  }
  const upper = (serial: string) => serial.toUpperCase();
  async function crlNumberInDatabase(): Promise<bigint | null> {
    const [row] = await t.db
      .select({ n: certificateAuthorities.crlNumber })
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'));
    return row?.n ?? null;
  }

  it('refuses to issue while no CA is open, and writes nothing', async () => {
    const card = await newCard('Priya');
    const before = await t.db.select().from(auditEvents);
    for (const ctx of [t.ctx, { ...t.ctx, certificateAuthority: undefined }]) {
      const failure = await issue(card, {}, ctx).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(CaUnavailableError);
      expect((failure as DomainError).code).toBe('UNAVAILABLE');
      expect(statusOf((failure as DomainError).code)).toBe(503);
      expect((failure as Error).message).toMatch(/certificate authority is not open/);
    }
    expect(await t.db.select().from(certificates)).toEqual([]);
    expect(await t.db.select().from(auditEvents)).toHaveLength(before.length);
  });

  it('publishes the root and issuing CA certificates once the CA is made', async () => {
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
    const root = Buffer.from(await (await t.app.request('/pki/root.crt')).arrayBuffer());
    issuingDer = Buffer.from(await (await t.app.request('/pki/issuing.crt')).arrayBuffer());
    rootFile = bench.file(pem(root));
    issuingFile = bench.file(pem(issuingDer));
    const crl = await publishedCrl();
    expect(crl.number).toBe(1n);
    expect(crl.entries.size).toBe(0);
  });

  const issued: Record<KeyKind, { card: Card; der: Buffer; serial: string }> = {} as never;
  it.each(['P-256', 'RSA-2048'] as const)(
    'issues a %s key’s certificate that openssl verifies against the published chain and CRL',
    async (kind) => {
      const card = await newCard(kind === 'P-256' ? 'Priya' : 'Zoë');
      const cert = await issue(card, { kind });
      issued[kind] = { card, der: cert.certificate, serial: cert.serialNumber };
      const crl = await publishedCrl();
      const verdict = await verify(cert.certificate, crl.path);
      expect(verdict.output).toMatch(/: OK/);
      expect(verdict.status).toBe(0);
      // Recorded as the card's current authentication certificate, its expiry on the card.
      const [row] = await t.db.select().from(certificates).where(eq(certificates.id, cert.id));
      expect(row).toMatchObject({
        cardId: card.cardId,
        personId: card.personId,
        profile: 'authentication',
        slot: '9a',
        serialNumber: cert.serialNumber,
        current: true,
        revokedAt: null,
      });
      expect(row?.der).toEqual(cert.certificate);
      // Named as a reader agent reports the certificate, so a sighting matches it.
      expect(row).toMatchObject(
        (({ subject, issuer, sha256 }) => ({ subject, issuer, sha256 }))(
          parseCertificate(cert.certificate),
        ),
      );
      expect(row?.issuer).toBe('C=GB, O=Royal Wessex Group, CN=Royal Wessex Group Issuing CA');
      expect(row?.caId).toBeTruthy();
      const [onCard] = await t.db
        .select({ expiresAt: cards.expiresAt })
        .from(cards)
        .where(eq(cards.id, card.cardId));
      expect(onCard?.expiresAt).toEqual(cert.notAfter);
      const text = await bench.run([
        'x509',
        '-in',
        bench.file(pem(cert.certificate)),
        '-noout',
        '-text',
      ]);
      expect(text.output).toContain(kind === 'P-256' ? 'prime256v1' : 'Public-Key: (2048 bit)');
      expect(text.output).toContain(`URI:${baseUrl}/pki/issuing.crl`);
      const events = await t.db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.action, 'card.certificate_issued'),
            eq(auditEvents.subjectId, card.serial),
          ),
        );
      expect(events).toHaveLength(1);
    },
  );

  it('renews a slot: the new certificate is current, the old one kept but no longer current', async () => {
    const card = issued['P-256'].card;
    const renewed = await issue(card);
    const rows = await t.db
      .select({ serial: certificates.serialNumber, current: certificates.current })
      .from(certificates)
      .where(eq(certificates.cardId, card.cardId));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.serial === renewed.serialNumber)?.current).toBe(true);
    expect(rows.find((r) => r.serial === issued['P-256'].serial)?.current).toBe(false);
  });

  it('cancelling a card revokes its certificates on a new CRL that openssl then rejects them by', async () => {
    const before = await publishedCrl();
    const { card, der, serial } = issued['P-256'];
    const result = await effect(card.cardId, { revoke: 'keyCompromise' });
    // Both of the card's certificates (the renewed one too) are revoked, on one new CRL.
    expect(result.changed).toHaveLength(2);
    expect(result.crlNumber).toBe(before.number + 1n);
    const after = await publishedCrl();
    expect(after.number).toBe(before.number + 1n);
    expect(after.entries.get(upper(serial))).toBe('Key Compromise');
    const verdict = await verify(der, after.path);
    expect(verdict.status).not.toBe(0);
    expect(verdict.output).toMatch(/certificate revoked/);
    // The RSA card is untouched and still verifies.
    expect((await verify(issued['RSA-2048'].der, after.path)).output).toMatch(/: OK/);
    const [onCard] = await t.db
      .select({ expiresAt: cards.expiresAt })
      .from(cards)
      .where(eq(cards.id, card.cardId));
    expect(onCard?.expiresAt).toBeNull();
  });

  it('lists each final reason and a hold in words, the CRL number one higher per revocation', async () => {
    const reasons: [CardCertificateEffect, string][] = [
      [{ revoke: 'affiliationChanged' }, 'Affiliation Changed'],
      [{ revoke: 'superseded' }, 'Superseded'],
      [{ revoke: 'cessationOfOperation' }, 'Cessation Of Operation'],
      ['hold', 'Certificate Hold'],
    ];
    let number = (await publishedCrl()).number;
    const serials: [string, string][] = [];
    for (const [certificateEffect, words] of reasons) {
      const card = await cardWithCertificate('Tomasz', 'RSA-2048');
      const result = await effect(card.cardId, certificateEffect);
      expect(result.crlNumber).toBe(number + 1n);
      const crl = await publishedCrl();
      expect(crl.number).toBe(number + 1n);
      number = crl.number;
      serials.push([upper(card.cert.serialNumber), words]);
      for (const [serial, said] of serials) expect(crl.entries.get(serial)).toBe(said);
    }
    expect((await publishedCrl()).entries.get(upper(issued['P-256'].serial))).toBe(
      'Key Compromise',
    );
  });

  it('a hold puts the certificate on the CRL as Certificate Hold; its release takes it off', async () => {
    const card = await cardWithCertificate('Sky');
    const held = await effect(card.cardId, 'hold');
    expect(held.changed.map((c) => c.serialNumber)).toEqual([card.cert.serialNumber]);
    const onHold = await publishedCrl();
    expect(onHold.entries.get(upper(card.cert.serialNumber))).toBe('Certificate Hold');
    const refused = await verify(card.cert.certificate, onHold.path);
    expect(refused.output).toMatch(/certificate revoked/);
    // A second hold changes nothing and publishes nothing.
    expect(await effect(card.cardId, 'hold')).toEqual({ changed: [], crlNumber: null });
    expect(await crlNumberInDatabase()).toBe(onHold.number);

    const released = await effect(card.cardId, 'release');
    expect(released.crlNumber).toBe(onHold.number + 1n);
    const after = await publishedCrl();
    expect(after.entries.has(upper(card.cert.serialNumber))).toBe(false);
    expect((await verify(card.cert.certificate, after.path)).output).toMatch(/: OK/);
    const [onCard] = await t.db
      .select({ expiresAt: cards.expiresAt })
      .from(cards)
      .where(eq(cards.id, card.cardId));
    expect(onCard?.expiresAt).toEqual(card.cert.notAfter);
  });

  describe('OCSP', () => {
    /** openssl makes the request (with a nonce), as a relying party would. */
    async function request(certificateFile: string | null, serial?: string) {
      const out = bench.output('req');
      const made = await bench.run([
        'ocsp',
        '-issuer',
        issuingFile,
        ...(certificateFile ? ['-cert', certificateFile] : ['-serial', `0x${serial}`]),
        '-reqout',
        out,
      ]);
      expect(made.status, made.output).toBe(0);
      return { file: out, der: readFileSync(out) };
    }
    async function ask(der: Buffer, by: 'POST' | 'GET') {
      const res =
        by === 'POST'
          ? await t.app.request('/pki/ocsp', {
              method: 'POST',
              headers: { 'content-type': 'application/ocsp-request' },
              body: new Uint8Array(der),
            })
          : await t.app.request(`/pki/ocsp/${encodeURIComponent(der.toString('base64'))}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      return Buffer.from(await res.arrayBuffer());
    }
    /**
     * openssl checks the answer twice: against the request it sent (signature, chain to our
     * root, its nonce echoed), and for the status of the certificate or serial named (with
     * -cert or -serial openssl builds its own request, so that check takes no nonce).
     */
    async function check(requestFile: string, response: Buffer, target: string[]) {
      const responseFile = bench.file(response, 'der');
      const trust = ['-CAfile', rootFile, '-verify_other', issuingFile];
      const asSent = await bench.run([
        'ocsp',
        '-reqin',
        requestFile,
        '-respin',
        responseFile,
        ...trust,
      ]);
      expect(asSent.output).toMatch(/Response verify OK/);
      expect(asSent.output).not.toMatch(/nonce/i);
      const status = await bench.run([
        'ocsp',
        '-respin',
        responseFile,
        '-issuer',
        issuingFile,
        ...target,
        '-no_nonce',
        ...trust,
      ]);
      expect(status.output).toMatch(/Response verify OK/);
      return status.output;
    }

    it.each(['POST', 'GET'] as const)(
      'answers good, revoked with its reason, and unknown for a serial never issued (%s)',
      async (by) => {
        const good = await cardWithCertificate('Zoë');
        const goodFile = bench.file(pem(good.cert.certificate));
        const goodReq = await request(goodFile);
        expect(await check(goodReq.file, await ask(goodReq.der, by), ['-cert', goodFile])).toMatch(
          new RegExp(`${goodFile}: good`),
        );

        const revoked = issued['P-256'];
        const revokedFile = bench.file(pem(revoked.der));
        const revokedReq = await request(revokedFile);
        const revokedOut = await check(revokedReq.file, await ask(revokedReq.der, by), [
          '-cert',
          revokedFile,
        ]);
        expect(revokedOut).toMatch(new RegExp(`${revokedFile}: revoked`));
        expect(revokedOut).toMatch(/Reason: keyCompromise/);
        expect(revokedOut).toMatch(/Revocation Time: /);

        const held = await cardWithCertificate('Sky');
        await effect(held.cardId, 'hold');
        const heldFile = bench.file(pem(held.cert.certificate));
        const heldReq = await request(heldFile);
        const heldOut = await check(heldReq.file, await ask(heldReq.der, by), ['-cert', heldFile]);
        expect(heldOut).toMatch(/: revoked/);
        expect(heldOut).toMatch(/Reason: certificateHold/);
        await effect(held.cardId, 'release');
        const releasedReq = await request(heldFile);
        expect(
          await check(releasedReq.file, await ask(releasedReq.der, by), ['-cert', heldFile]),
        ).toMatch(/: good/);

        // Signed by our issuing CA but never recorded, and a serial made up: neither is ours.
        const ca = await loadCertificateAuthority(t.ctx, passphrase);
        if (!ca) throw new Error('no CA');
        const stray = await issueCertificate({
          issuingCa: ca.issuing,
          subjectPublicKeyInfo: await publicKeyOf('P-256'),
          holder: {
            name: 'Nobody Recorded',
            uuid: '100000000009',
            upn: 'n@x.test',
            email: 'n@x.test',
          },
          profile: 'authentication',
          baseUrl,
          now: t.clock.now(),
        });
        const strayFile = bench.file(pem(stray.certificate));
        const strayReq = await request(strayFile);
        expect(
          await check(strayReq.file, await ask(strayReq.der, by), ['-cert', strayFile]),
        ).toMatch(/: unknown/);
        const madeUp = `7${randomBytes(15).toString('hex')}`;
        const madeUpReq = await request(null, madeUp);
        expect(
          await check(madeUpReq.file, await ask(madeUpReq.der, by), ['-serial', `0x${madeUp}`]),
        ).toMatch(/: unknown/);
      },
    );
  });

  it('revokes in the transaction that publishes the CRL: a transaction that fails leaves both as they were', async () => {
    const card = await cardWithCertificate('Priya');
    const before = await publishedCrl();
    const failure = await withTransaction(t.ctx, async (tx) => {
      const result = await applyCertificateEffect(tx, {
        cardId: card.cardId,
        effect: { revoke: 'keyCompromise' },
      });
      expect(result.crlNumber).toBe(before.number + 1n);
      throw new Error('the card move failed after the revocation');
    }).catch((err: unknown) => err);
    expect((failure as Error).message).toBe('the card move failed after the revocation');
    const [row] = await t.db
      .select({ revokedAt: certificates.revokedAt, reason: certificates.revocationReason })
      .from(certificates)
      .where(eq(certificates.id, card.cert.id));
    expect(row).toEqual({ revokedAt: null, reason: null });
    expect(await crlNumberInDatabase()).toBe(before.number);
    const after = await publishedCrl();
    expect(after.number).toBe(before.number);
    expect(after.entries.has(upper(card.cert.serialNumber))).toBe(false);
    expect((await verify(card.cert.certificate, after.path)).output).toMatch(/: OK/);
  });

  it('gives 20 revocations at once distinct CRL numbers, and the last CRL lists all 20', async () => {
    const many = [];
    for (let i = 0; i < 20; i++) many.push(await cardWithCertificate(i % 2 ? 'Zoë' : 'Tomasz'));
    const before = await publishedCrl();
    const results = await Promise.all(
      many.map((card) => effect(card.cardId, { revoke: 'affiliationChanged' })),
    );
    const numbers = results.map((r) => r.crlNumber);
    expect(new Set(numbers).size).toBe(20);
    expect([...numbers].sort((a, b) => Number((a ?? 0n) - (b ?? 0n)))).toEqual(
      Array.from({ length: 20 }, (_, i) => before.number + BigInt(i + 1)),
    );
    const after = await publishedCrl();
    expect(after.number).toBe(before.number + 20n);
    for (const card of many) {
      expect(after.entries.get(upper(card.cert.serialNumber))).toBe('Affiliation Changed');
    }
    expect((await verify(many[0]?.cert.certificate ?? Buffer.alloc(0), after.path)).output).toMatch(
      /certificate revoked/,
    );
  });

  describe('refusals, each changing nothing', () => {
    async function unchanged<T>(act: () => Promise<T>) {
      const crl = await crlNumberInDatabase();
      const rows = await t.db.select().from(certificates);
      const events = (await t.db.select({ id: auditEvents.id }).from(auditEvents)).length;
      const failure = await act().then(
        () => new Error('it was not refused'),
        (err: unknown) => err,
      );
      expect(await crlNumberInDatabase()).toBe(crl);
      expect(await t.db.select().from(certificates)).toEqual(rows);
      expect((await t.db.select({ id: auditEvents.id }).from(auditEvents)).length).toBe(events);
      return failure as Error;
    }
    const revoke = (certificateId: string, reason: RevokeReason) =>
      withTransaction(t.ctx, (tx) => revokeCertificate(tx, { certificateId, reason }));

    it('revokes one certificate, audited, and refuses it a second time', async () => {
      const card = await cardWithCertificate('Sky');
      const before = await crlNumberInDatabase();
      expect(await revoke(card.cert.id, 'superseded')).toEqual({
        crlNumber: (before ?? 0n) + 1n,
      });
      const [event] = await t.db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.action, 'card.certificate_revoked'),
            eq(auditEvents.subjectId, card.serial),
          ),
        );
      expect(event?.summary).toMatchObject({
        certificateSerial: card.cert.serialNumber,
        reason: 'superseded',
      });
      for (const reason of ['keyCompromise', 'certificateHold', 'removeFromCRL'] as const) {
        const again = await unchanged(() => revoke(card.cert.id, reason));
        expect(again, reason).toBeInstanceOf(ConflictError);
        expect(again.message, reason).toMatch(/already revoked \(superseded\) on \d{4}-\d\d-\d\d/);
      }
      // A card move over a card revoked for good changes nothing and publishes nothing.
      expect(await effect(card.cardId, 'hold')).toEqual({ changed: [], crlNumber: null });
    });

    it('refuses an unknown certificate, and one our CA did not issue', async () => {
      const unknown = await unchanged(() => revoke(randomUUID(), 'keyCompromise'));
      expect(unknown).toBeInstanceOf(NotFoundError);
      expect(unknown.message).toMatch(/no such certificate/);
      const now = t.clock.now();
      const [foreign] = await t.db
        .insert(certificates)
        .values({
          serialNumber: randomBytes(8).toString('hex'),
          subject: 'CN=Jordan Visitor',
          issuer: 'CN=Another Trust CA',
          sha256: randomBytes(32).toString('hex'),
          notBefore: now,
          notAfter: new Date(now.getTime() + 100 * dayMs),
          createdAt: now,
        })
        .returning({ id: certificates.id });
      const notOurs = await unchanged(() => revoke(foreign?.id ?? '', 'keyCompromise'));
      expect(notOurs).toBeInstanceOf(NotFoundError);
    });

    it('refuses a double hold and the release of a certificate not on hold', async () => {
      const card = await cardWithCertificate('Zoë');
      const notHeld = await unchanged(() => revoke(card.cert.id, 'removeFromCRL'));
      expect(notHeld).toBeInstanceOf(ConflictError);
      expect(notHeld.message).toMatch(/Only a certificate on hold can be released/);
      await revoke(card.cert.id, 'certificateHold');
      const twice = await unchanged(() => revoke(card.cert.id, 'certificateHold'));
      expect(twice).toBeInstanceOf(ConflictError);
      expect(twice.message).toMatch(/already on hold/);
      // A held certificate may still be revoked for good, or released.
      await revoke(card.cert.id, 'removeFromCRL');
      const crl = await publishedCrl();
      expect(crl.entries.has(upper(card.cert.serialNumber))).toBe(false);
      expect((await verify(card.cert.certificate, crl.path)).output).toMatch(/: OK/);
    });

    it('refuses to issue for a public key that is not one, or not one a card may have', async () => {
      const card = await newCard('Tomasz');
      const rsa1024 = Buffer.from(
        await webcrypto.subtle.exportKey(
          'spki',
          (
            await webcrypto.subtle.generateKey(
              {
                name: 'RSASSA-PKCS1-v1_5',
                modulusLength: 1024,
                publicExponent: new Uint8Array([1, 0, 1]),
                hash: 'SHA-256',
              },
              true,
              ['sign', 'verify'],
            )
          ).publicKey,
        ),
      );
      const p521 = Buffer.from(
        await webcrypto.subtle.exportKey(
          'spki',
          (
            await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, [
              'sign',
              'verify',
            ])
          ).publicKey,
        ),
      );
      for (const [spki, said] of [
        [Buffer.from('not a key at all'), /not a DER SubjectPublicKeyInfo/],
        [Buffer.alloc(0), /not a DER SubjectPublicKeyInfo/],
        [rsa1024, /RSA key must be 2048 to 4096 bits, not 1024/],
        [p521, /EC key must be on P-256 or P-384/],
      ] as const) {
        const failure = await unchanged(() => issue(card, { spki }));
        expect(failure).toBeInstanceOf(ValidationError);
        expect(failure.message).toMatch(said);
        expect((failure as ValidationError).details).toEqual([
          { field: 'subjectPublicKeyInfo', message: expect.stringMatching(said) },
        ]);
      }
      const [onCard] = await t.db
        .select({ expiresAt: cards.expiresAt })
        .from(cards)
        .where(eq(cards.id, card.cardId));
      expect(onCard?.expiresAt).toBeNull();
    });

    it('refuses an unknown card or person, and a certificate naming someone else than the holder', async () => {
      const card = await newCard('Tomasz');
      for (const wrong of [
        { ...card, cardId: randomUUID() },
        { ...card, personId: randomUUID() },
      ]) {
        const failure = await unchanged(() => issue(wrong));
        expect(failure).toBeInstanceOf(NotFoundError);
      }
      const someoneElse = await unchanged(() =>
        issue({ ...card, personId: issued['RSA-2048'].card.personId }),
      );
      expect(someoneElse).toBeInstanceOf(ConflictError);
      expect(someoneElse.message).toMatch(/issued to someone else/);
    });
  });

  it('remakes the CRL only when it is due: nothing while fresh, number + 1 past the margin', async () => {
    const before = await publishedCrl();
    expect(await refreshCrlIfDue(t.ctx)).toBeNull();
    expect(await crlNumberInDatabase()).toBe(before.number);
    // Just short of the margin before nextUpdate: still fresh.
    const [row] = await t.db
      .select({ next: certificateAuthorities.crlNextUpdate })
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'));
    const next = row?.next?.getTime() ?? 0;
    t.clock.advance(next - crlRefreshMarginMs - t.clock.now().getTime() - 60_000);
    expect(await refreshCrlIfDue(t.ctx)).toBeNull();
    t.clock.advance(2 * 60_000);
    expect(await refreshCrlIfDue(t.ctx)).toBe(before.number + 1n);
    expect(await refreshCrlIfDue(t.ctx)).toBeNull();
    const [after] = await t.db
      .select()
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'));
    expect(after?.crlNumber).toBe(before.number + 1n);
    expect(after?.crlThisUpdate).toEqual(t.clock.now());
    expect(after?.crlNextUpdate?.getTime()).toBe(t.clock.now().getTime() + crlLifetimeMs);
    // The remade CRL still lists what was revoked (openssl reads it as of its thisUpdate).
    const der = Buffer.from(await (await t.app.request('/pki/issuing.crl')).arrayBuffer());
    const read = await bench.run([
      'crl',
      '-in',
      bench.file(pem(der, 'X509 CRL')),
      '-noout',
      '-text',
      '-CAfile',
      issuingFile,
    ]);
    expect(read.output).toMatch(/verify OK/);
    expect(crlEntries(read.output).get(upper(issued['P-256'].serial))).toBe('Key Compromise');
    const revokedCount = await t.db
      .select({ id: certificates.id })
      .from(certificates)
      .where(inArray(certificates.revocationReason, ['keyCompromise', 'affiliationChanged']));
    expect(crlEntries(read.output).size).toBeGreaterThanOrEqual(revokedCount.length);
  });
});
