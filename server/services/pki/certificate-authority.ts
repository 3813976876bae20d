import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { certificates } from '../../../db/schema/cards.ts';
import { type CaName, certificateAuthorities } from '../../../db/schema/pki.ts';
import { createCertificateAuthorities } from '../../../pki/ca/create-ca.ts';
import { createCrl } from '../../../pki/ca/crl.ts';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  WrongPassphraseError,
} from '../../../pki/ca/key-at-rest.ts';
import {
  type CertId,
  type CertStatus,
  certIdMatchesIssuer,
  createOcspResponse,
  OcspRequestError,
  ocspErrorResponse,
  parseOcspRequest,
} from '../../../pki/ca/ocsp.ts';
import { parseCertificateDer } from '../../../pki/ca/x509-parts.ts';
import { ConfigError } from '../../config.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { caKeyScrypt } from './ca-key-scrypt.ts';
import { type CaOpener, type LoadedCertificateAuthority, memoisedCaOpener } from './ca-opener.ts';
import { crlLifetimeMs } from './crl-lifetime.ts';

export { crlLifetimeMs };

const ocspLifetimeMs = 24 * 3_600_000;

/** What `ca init` made, for a person to read: nothing secret. */
export interface CaSummary {
  name: CaName;
  subject: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate's DER, hex, colon-separated as openssl prints it. */
  sha256Fingerprint: string;
}

export type { LoadedCertificateAuthority };

export function fingerprint(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

function summaryOf(name: CaName, der: Buffer): CaSummary {
  const cert = parseCertificateDer(der);
  return {
    name,
    subject: cert.subject.typesAndValues
      .map((tv) => `${shortName[tv.type] ?? tv.type}=${tv.value.valueBlock.value}`)
      .join(', '),
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    sha256Fingerprint: fingerprint(der),
  };
}

const shortName: Record<string, string> = { '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.3': 'CN' };

const noCaMessage =
  'No certificate authority has been created yet: run `npm run ca -- init` (the demo creates one on first start).';

/** Whether this deployment has its CAs. */
export async function certificateAuthorityExists(ctx: ServiceContext): Promise<boolean> {
  const rows = await ctx.db
    .select({ id: certificateAuthorities.id })
    .from(certificateAuthorities)
    .limit(1);
  return rows.length > 0;
}

/**
 * Creates the root and issuing CAs, stores their keys encrypted under the passphrase, and
 * publishes the issuing CA's first (empty) CRL, number 1, audited in the same transaction.
 * Refuses when the deployment already has its CAs.
 */
export async function initCertificateAuthority(
  ctx: ServiceContext,
  input: { passphrase: string; organisation: string },
): Promise<CaSummary[]> {
  if (await certificateAuthorityExists(ctx)) {
    throw new ConflictError('This deployment already has its certificate authority.');
  }
  const now = ctx.now();
  // The slow parts (key generation, scrypt) happen before the transaction opens.
  const made = await createCertificateAuthorities({ organisation: input.organisation, now });
  const [rootKey, issuingKey] = await Promise.all([
    encryptPrivateKey(made.root.privateKey, input.passphrase, caKeyScrypt()),
    encryptPrivateKey(made.issuing.privateKey, input.passphrase, caKeyScrypt()),
  ]);
  const nextUpdate = new Date(now.getTime() + crlLifetimeMs);
  const crl = await createCrl({
    issuingCa: made.issuing,
    crlNumber: 1n,
    thisUpdate: now,
    nextUpdate,
    revoked: [],
  });
  const root = summaryOf('root', made.root.certificate);
  const issuing = summaryOf('issuing', made.issuing.certificate);
  await withTransaction(ctx, async (tx) => {
    // Two first starts at once: one makes the CAs, the other finds them.
    await tx.db.execute(sql`lock table certificate_authorities in exclusive mode`);
    if (await certificateAuthorityExists(tx)) {
      throw new ConflictError('This deployment already has its certificate authority.');
    }
    await tx.db.insert(certificateAuthorities).values([
      {
        name: 'root',
        subject: root.subject,
        serialNumber: root.serialNumber,
        certificate: made.root.certificate,
        encryptedPrivateKey: rootKey.toString('utf8'),
        notBefore: root.notBefore,
        notAfter: root.notAfter,
        createdAt: now,
      },
      {
        name: 'issuing',
        subject: issuing.subject,
        serialNumber: issuing.serialNumber,
        certificate: made.issuing.certificate,
        encryptedPrivateKey: issuingKey.toString('utf8'),
        notBefore: issuing.notBefore,
        notAfter: issuing.notAfter,
        crlNumber: 1n,
        crl,
        crlThisUpdate: now,
        crlNextUpdate: nextUpdate,
        createdAt: now,
      },
    ]);
    await recordAuditEvent(tx, {
      action: 'pki.ca_created',
      subjectType: 'certificate_authority',
      summary: {
        organisation: input.organisation,
        authorities: [root, issuing].map((s) => ({
          name: s.name,
          subject: s.subject,
          serialNumber: s.serialNumber,
          notAfter: s.notAfter.toISOString(),
          sha256Fingerprint: s.sha256Fingerprint,
        })),
        crlNumber: '1',
      },
    });
  });
  return [root, issuing];
}

/** A CA's published certificate (DER); NotFoundError until the CAs exist. */
export async function caCertificate(ctx: ServiceContext, name: CaName): Promise<Buffer> {
  const [row] = await ctx.db
    .select({ certificate: certificateAuthorities.certificate })
    .from(certificateAuthorities)
    .where(eq(certificateAuthorities.name, name));
  if (!row) throw new NotFoundError(noCaMessage);
  return row.certificate;
}

/** The issuing CA's current CRL as published. */
export async function currentCrl(
  ctx: ServiceContext,
): Promise<{ der: Buffer; crlNumber: bigint; thisUpdate: Date; nextUpdate: Date }> {
  const [row] = await ctx.db
    .select()
    .from(certificateAuthorities)
    .where(eq(certificateAuthorities.name, 'issuing'));
  if (!row?.crl || row.crlNumber === null || !row.crlThisUpdate || !row.crlNextUpdate) {
    throw new NotFoundError(noCaMessage);
  }
  return {
    der: row.crl,
    crlNumber: row.crlNumber,
    thisUpdate: row.crlThisUpdate,
    nextUpdate: row.crlNextUpdate,
  };
}

/**
 * Opens the issuing CA's key for signing, or null when no CA exists yet. A passphrase that
 * does not open it is a ConfigError naming the variable, never the passphrase.
 */
export async function loadCertificateAuthority(
  ctx: ServiceContext,
  passphrase: string | undefined,
): Promise<LoadedCertificateAuthority | null> {
  const rows = await ctx.db.select().from(certificateAuthorities);
  const root = rows.find((r) => r.name === 'root');
  const issuing = rows.find((r) => r.name === 'issuing');
  if (!root || !issuing) return null;
  if (!passphrase) {
    throw new ConfigError(
      'Invalid configuration:\n  CA_KEY_PASSPHRASE: required once the certificate authority exists (or CA_KEY_PASSPHRASE_FILE naming a file that holds it)',
    );
  }
  try {
    const privateKey = await decryptPrivateKey(issuing.encryptedPrivateKey, passphrase);
    return {
      root: { certificate: root.certificate },
      issuing: { id: issuing.id, certificate: issuing.certificate, privateKey },
    };
  } catch (err) {
    if (err instanceof WrongPassphraseError) {
      throw new ConfigError(
        'Invalid configuration:\n  CA_KEY_PASSPHRASE: does not decrypt the stored CA private key (is it the passphrase the CA was created with?)',
      );
    }
    throw err;
  }
}

/** The CA opener of a deployment's database and passphrase (see ca-opener.ts). */
export function caOpenerFor(ctx: ServiceContext, passphrase: string | undefined): CaOpener {
  return memoisedCaOpener((db) => loadCertificateAuthority(db ? { ...ctx, db } : ctx, passphrase));
}

/**
 * The status of one certificate the issuing CA may have issued, from the certificates it
 * recorded: `good`, `revoked` with its time and reason (a hold included), or `unknown` for a
 * serial it never issued.
 */
async function statusOfIssuedCertificate(
  ctx: ServiceContext,
  caId: string,
  serialNumber: string,
): Promise<CertStatus> {
  const [row] = await ctx.db
    .select({
      revokedAt: certificates.revokedAt,
      reason: certificates.revocationReason,
    })
    .from(certificates)
    .where(
      and(eq(certificates.caId, caId), eq(certificates.serialNumber, serialNumber.toLowerCase())),
    );
  if (!row) return { kind: 'unknown' };
  if (row.revokedAt && row.reason) {
    return { kind: 'revoked', revokedAt: row.revokedAt, reason: row.reason };
  }
  return { kind: 'good' };
}

/**
 * Answers a DER OCSP request (RFC 6960) for the issuing CA: signed answers for each CertID,
 * `unknown` for another issuer's; a request that does not parse gets an unsigned
 * malformedRequest. Always a DER OCSPResponse.
 */
export async function answerOcsp(
  ctx: ServiceContext,
  ca: LoadedCertificateAuthority,
  requestDer: Uint8Array,
): Promise<Buffer> {
  let parsed: ReturnType<typeof parseOcspRequest>;
  try {
    parsed = parseOcspRequest(requestDer);
  } catch (err) {
    if (err instanceof OcspRequestError) return ocspErrorResponse('malformedRequest');
    throw err;
  }
  const responses: { certId: CertId; status: CertStatus }[] = [];
  for (const certId of parsed.certIds) {
    const status = certIdMatchesIssuer(certId, ca.issuing)
      ? await statusOfIssuedCertificate(ctx, ca.issuing.id, certId.serialNumber)
      : ({ kind: 'unknown' } as const);
    responses.push({ certId, status });
  }
  const now = ctx.now();
  return createOcspResponse({
    issuingCa: ca.issuing,
    responses,
    producedAt: now,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + ocspLifetimeMs),
    nonce: parsed.nonce,
  });
}
