import { and, eq, gt, isNotNull } from 'drizzle-orm';
import { certificates } from '../../../db/schema/cards.ts';
import { certificateAuthorities } from '../../../db/schema/pki.ts';
import { createCrl } from '../../../pki/ca/crl.ts';
import { DomainError } from '../../errors.ts';
import type { TxContext } from '../context.ts';
import { crlLifetimeMs } from './crl-lifetime.ts';

/** The issuing CA's key is not open: nothing can be signed, so nothing is changed. */
export class CaUnavailableError extends DomainError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'CaUnavailableError';
  }
}

/**
 * Signs and stores the issuing CA's next CRL, in the caller's transaction: every certificate
 * of the CA revoked or on hold and not yet expired, with a CRL number one above the last. The
 * CA row is locked first, so two revocations at once publish numbers n+1 and n+2, each CRL
 * listing what its transaction saw; the trigger of migration 0008 refuses a number that does
 * not grow. Returns the new CRL number.
 */
export async function publishCrl(tx: TxContext): Promise<bigint> {
  const ca = await tx.certificateAuthority?.(tx.db);
  if (!ca) {
    throw new CaUnavailableError(
      'The certificate authority is not open (no CA, or no CA_KEY_PASSPHRASE): no certificate can be revoked or issued.',
    );
  }
  const [row] = await tx.db
    .select({ id: certificateAuthorities.id, crlNumber: certificateAuthorities.crlNumber })
    .from(certificateAuthorities)
    .where(eq(certificateAuthorities.id, ca.issuing.id))
    .for('update');
  if (!row || row.crlNumber === null) {
    throw new CaUnavailableError('The issuing CA has no CRL to follow on from.');
  }
  const now = tx.now();
  const revoked = await tx.db
    .select({
      serialNumber: certificates.serialNumber,
      revokedAt: certificates.revokedAt,
      reason: certificates.revocationReason,
    })
    .from(certificates)
    .where(
      and(
        eq(certificates.caId, ca.issuing.id),
        isNotNull(certificates.revokedAt),
        gt(certificates.notAfter, now),
      ),
    )
    .orderBy(certificates.revokedAt, certificates.serialNumber);
  const crlNumber = row.crlNumber + 1n;
  const nextUpdate = new Date(now.getTime() + crlLifetimeMs);
  const der = await createCrl({
    issuingCa: ca.issuing,
    crlNumber,
    thisUpdate: now,
    nextUpdate,
    revoked: revoked.flatMap((r) =>
      r.revokedAt && r.reason
        ? [{ serialNumber: r.serialNumber, revokedAt: r.revokedAt, reason: r.reason }]
        : [],
    ),
  });
  await tx.db
    .update(certificateAuthorities)
    .set({ crlNumber, crl: der, crlThisUpdate: now, crlNextUpdate: nextUpdate })
    .where(eq(certificateAuthorities.id, ca.issuing.id));
  return crlNumber;
}
