import { and, eq, gt, isNotNull } from 'drizzle-orm';
import { certificates } from '../../../db/schema/cards.ts';
import { certificateAuthorities } from '../../../db/schema/pki.ts';
import { createCrl } from '../../../pki/ca/crl.ts';
import { ConfigError } from '../../config.ts';
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
 * The CAs opened for a verb that signs, in the caller's transaction; CaUnavailableError (503,
 * nothing written) when there is no CA, no passphrase, or a passphrase that does not open the
 * key: a server started before `npm run ca -- init` made the CA with another passphrase finds
 * out only here, and the caller is told so rather than getting a 500. The message names the
 * variable, never the passphrase.
 */
export async function openCaForSigning(tx: TxContext, what: string) {
  let ca: Awaited<ReturnType<NonNullable<TxContext['certificateAuthority']>>> | undefined;
  try {
    ca = await tx.certificateAuthority?.(tx.db);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CaUnavailableError(
      `The certificate authority's key cannot be opened (CA_KEY_PASSPHRASE does not decrypt it): no certificate can be ${what}, and nothing was changed. Ask the server's administrator.`,
    );
  }
  if (!ca) {
    throw new CaUnavailableError(
      `The certificate authority is not open (no CA, or no CA_KEY_PASSPHRASE): no certificate can be ${what}.`,
    );
  }
  return ca;
}

/**
 * Signs and stores the issuing CA's next CRL, in the caller's transaction: every certificate
 * of the CA revoked or on hold and not yet expired, with a CRL number one above the last. The
 * CA row is locked first, so two revocations at once publish numbers n+1 and n+2, each CRL
 * listing what its transaction saw; the trigger of migration 0008 refuses a number that does
 * not grow. Returns the new CRL number.
 */
export async function publishCrl(tx: TxContext): Promise<bigint> {
  const ca = await openCaForSigning(tx, 'revoked or issued');
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
