import { and, eq, inArray } from 'drizzle-orm';
import { cards, certificates } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import {
  type CertificateProfile,
  CertificateRequestError,
  issueCertificate,
} from '../../../pki/ca/issue-certificate.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import type { TxContext } from '../context.ts';
import { refreshCardExpiry } from './certificate-effects.ts';
import { openCaForSigning } from './publish-crl.ts';

/** The PIV slot each profile's certificate goes in. */
export const slotOfProfile: Record<CertificateProfile, '9a' | '9c'> = {
  authentication: '9a',
  signature: '9c',
};

export interface IssueCardCertificateInput {
  cardId: string;
  personId: string;
  profile: CertificateProfile;
  /** DER SubjectPublicKeyInfo of the key generated on the card. */
  subjectPublicKeyInfo: Uint8Array;
  /** Where the CA publishes (CRL, OCSP, CA certificate), without a trailing slash. */
  baseUrl: string;
  validityDays: number;
  upnDomain: string;
  /**
   * The card job issuing it: the certificate is recorded as the job's, not yet current, and
   * the card's certificates in force are left as they are until the job completes (or it is
   * revoked when the job fails).
   */
  jobId?: string;
}

export interface IssuedCardCertificate {
  id: string;
  certificate: Buffer;
  serialNumber: string;
  notAfter: Date;
}

/**
 * The CA's issuing verb: signs a certificate of the given profile for a key made on the card
 * and the card's holder, records it as the card's current certificate for that slot (the one
 * it replaces stays recorded, no longer current; revoking it is the caller's move), keeps the
 * card's expiry in step and audits it, all in the caller's transaction.
 */
export async function issueCardCertificate(
  tx: TxContext,
  input: IssueCardCertificateInput,
): Promise<IssuedCardCertificate> {
  const { profile, subjectPublicKeyInfo, ...rest } = input;
  const [issued] = await issueCardCertificates(tx, {
    ...rest,
    keys: [{ profile, subjectPublicKeyInfo }],
  });
  if (!issued) throw new Error('the certificate was not issued');
  return issued;
}

export type IssueCardCertificatesInput = Omit<
  IssueCardCertificateInput,
  'profile' | 'subjectPublicKeyInfo'
> & {
  keys: { profile: CertificateProfile; subjectPublicKeyInfo: Uint8Array }[];
};

/**
 * `issueCardCertificate` for several keys of one card at once (a card job's 9A and 9C): the
 * holder and card read once, the certificates signed side by side, recorded in one insert,
 * each audited. All or none: a key the CA refuses stops them all before anything is written.
 */
export async function issueCardCertificates(
  tx: TxContext,
  input: IssueCardCertificatesInput,
): Promise<IssuedCardCertificate[]> {
  const ca = await openCaForSigning(tx, 'issued');
  const [holder] = await tx.db
    .select({
      userId: people.userId,
      given: people.givenName,
      family: people.familyName,
      email: people.email,
    })
    .from(people)
    .where(eq(people.id, input.personId));
  const [card] = await tx.db
    .select({ id: cards.id, serial: cards.serial, personId: cards.personId })
    .from(cards)
    .where(eq(cards.id, input.cardId))
    .for('update');
  if (!holder || !card) throw new NotFoundError('There is no such card or person.');
  if (card.personId !== null && card.personId !== input.personId) {
    throw new ConflictError(
      'This card is issued to someone else: a certificate on it can only name its holder.',
    );
  }
  if (!holder.userId || !holder.email) {
    throw new ValidationError(
      'The holder needs a user id and a work email before a certificate can name them.',
      [{ field: 'personId', message: 'This person has no user id or work email yet.' }],
    );
  }
  const now = tx.now();
  const named = {
    name: `${holder.given} ${holder.family}`,
    uuid: holder.userId,
    upn: `${holder.userId}@${input.upnDomain}`,
    email: holder.email,
  };
  let signed: Awaited<ReturnType<typeof issueCertificate>>[];
  try {
    signed = await Promise.all(
      input.keys.map((key) =>
        issueCertificate({
          issuingCa: ca.issuing,
          subjectPublicKeyInfo: key.subjectPublicKeyInfo,
          holder: named,
          profile: key.profile,
          baseUrl: input.baseUrl,
          validityDays: input.validityDays,
          now,
        }),
      ),
    );
  } catch (err) {
    if (err instanceof CertificateRequestError) {
      throw new ValidationError(`The certificate cannot be issued: ${err.message}.`, [
        { field: 'subjectPublicKeyInfo', message: err.message },
      ]);
    }
    throw err;
  }
  const pending = input.jobId !== undefined;
  const slots = input.keys.map((k) => slotOfProfile[k.profile]);
  if (!pending) {
    await tx.db
      .update(certificates)
      .set({ current: false })
      .where(and(eq(certificates.cardId, card.id), inArray(certificates.slot, slots)));
  }
  // Recorded as a reader agent reports it (pki/certificate-summary.ts reads the same names
  // and fingerprint off the DER), so a sighting of the card matches its row by fingerprint.
  const rows = await tx.db
    .insert(certificates)
    .values(
      signed.map((issued, i) => ({
        cardId: card.id,
        personId: input.personId,
        caId: ca.issuing.id,
        profile: input.keys[i]?.profile ?? 'authentication',
        slot: slots[i] ?? null,
        serialNumber: issued.serialNumber.toLowerCase(),
        subject: issued.subject,
        issuer: issued.issuer,
        sha256: issued.sha256,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        der: issued.certificate,
        current: !pending,
        jobId: input.jobId ?? null,
        createdAt: now,
      })),
    )
    .returning({ id: certificates.id, sha256: certificates.sha256 });
  if (rows.length !== signed.length) throw new Error('the certificates were not recorded');
  if (!pending) await refreshCardExpiry(tx, card.id);
  const out: IssuedCardCertificate[] = [];
  for (const [i, issued] of signed.entries()) {
    const row = rows.find((r) => r.sha256 === issued.sha256);
    if (!row) throw new Error('the certificate was not recorded');
    await recordAuditEvent(tx, {
      action: 'card.certificate_issued',
      subjectType: 'card',
      subjectId: card.serial,
      summary: {
        serial: card.serial,
        profile: input.keys[i]?.profile,
        slot: slots[i],
        certificateSerial: issued.serialNumber,
        notAfter: issued.notAfter.toISOString(),
        ...(pending ? { jobId: input.jobId } : {}),
      },
    });
    out.push({
      id: row.id,
      certificate: issued.certificate,
      serialNumber: issued.serialNumber,
      notAfter: issued.notAfter,
    });
  }
  return out;
}
