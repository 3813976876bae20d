import { eq } from 'drizzle-orm';
import { cards, certificates } from '../../../db/schema/cards.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import type { TxContext } from '../context.ts';
import { type FinalRevocationReason, refreshCardExpiry } from './certificate-effects.ts';
import { publishCrl } from './publish-crl.ts';

/** Every RFC 5280 reason the revoke verb takes: the final ones, a hold, and its release. */
export type RevokeReason = FinalRevocationReason | 'certificateHold' | 'removeFromCRL';

/**
 * The CA's revoking verb for one certificate: revoke it for good, put it on hold, or release
 * a hold (`removeFromCRL`), and publish the CA's next CRL, all in the caller's transaction.
 * An unknown certificate, one already revoked for good, a hold on a held one and a release
 * of one not on hold are refused, and nothing changes. Lifecycle moves use
 * applyCertificateEffect for all of a card's certificates at once; renewal revokes the old
 * certificate with this verb (`superseded`).
 */
export async function revokeCertificate(
  tx: TxContext,
  input: { certificateId: string; reason: RevokeReason },
): Promise<{ crlNumber: bigint }> {
  const [cert] = await tx.db
    .select({
      id: certificates.id,
      serialNumber: certificates.serialNumber,
      caId: certificates.caId,
      cardId: certificates.cardId,
      revokedAt: certificates.revokedAt,
      reason: certificates.revocationReason,
      notAfter: certificates.notAfter,
      cardSerial: cards.serial,
    })
    .from(certificates)
    .leftJoin(cards, eq(cards.id, certificates.cardId))
    .where(eq(certificates.id, input.certificateId))
    .for('update', { of: certificates });
  if (!cert?.caId) throw new NotFoundError('There is no such certificate issued by this CA.');
  const onHold = cert.reason === 'certificateHold';
  if (cert.revokedAt && !onHold) {
    throw new ConflictError(
      `This certificate was already revoked (${cert.reason}) on ${cert.revokedAt.toISOString().slice(0, 10)}.`,
    );
  }
  if (input.reason === 'certificateHold' && onHold) {
    throw new ConflictError('This certificate is already on hold.');
  }
  if (input.reason === 'removeFromCRL' && !onHold) {
    throw new ConflictError('Only a certificate on hold can be released; this one is not on hold.');
  }
  const now = tx.now();
  await tx.db
    .update(certificates)
    .set(
      input.reason === 'removeFromCRL'
        ? { revokedAt: null, revocationReason: null }
        : { revokedAt: now, revocationReason: input.reason },
    )
    .where(eq(certificates.id, cert.id));
  if (cert.cardId) await refreshCardExpiry(tx, cert.cardId);
  const crlNumber = await publishCrl(tx);
  await recordAuditEvent(tx, {
    action:
      input.reason === 'removeFromCRL' ? 'card.certificate_released' : 'card.certificate_revoked',
    subjectType: 'card',
    subjectId: cert.cardSerial ?? undefined,
    summary: {
      serial: cert.cardSerial,
      certificateSerial: cert.serialNumber,
      reason: input.reason,
      crlNumber: crlNumber.toString(),
    },
  });
  return { crlNumber };
}
