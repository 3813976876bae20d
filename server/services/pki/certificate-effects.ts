import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { cards, certificates } from '../../../db/schema/cards.ts';
import type { TxContext } from '../context.ts';
import { publishCrl } from './publish-crl.ts';

/** RFC 5280 reasons a card's certificates are revoked for good with. */
export type FinalRevocationReason =
  | 'keyCompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation';

/**
 * What a card's change of state does to its certificates (card-lifecycle.ts's
 * CertificateEffect): nothing, revoke for good, put on hold, or release a hold.
 */
export type CardCertificateEffect = 'none' | { revoke: FinalRevocationReason } | 'hold' | 'release';

export interface CertificateEffectResult {
  /** The certificates whose status changed, by id and hex serial. */
  changed: { id: string; serialNumber: string }[];
  /** The CRL published for the change; null when nothing of our CA's changed. */
  crlNumber: bigint | null;
}

/**
 * Applies a lifecycle move's effect to every unexpired certificate of the card, in the
 * caller's transaction, and publishes the CA's next CRL in it too: the CRL and OCSP answer
 * the new status the moment the transaction commits, and not before. A hold on a certificate
 * already revoked for good changes nothing; a final revocation turns a hold into the final
 * reason, expired or not. Keeps the card's expires_at (the dashboard's buckets) in step.
 */
export async function applyCertificateEffect(
  tx: TxContext,
  input: {
    cardId: string;
    effect: CardCertificateEffect;
    /**
     * The caller updates the card's row itself after this, setting expires_at to
     * `cardExpiry(cardId)` in that one update (transition-card.ts): see cardExpiry.
     */
    cardRowByCaller?: boolean;
  },
): Promise<CertificateEffectResult> {
  const { cardId, effect } = input;
  if (effect === 'none') return { changed: [], crlNumber: null };
  const now = tx.now();
  const ofCard = and(eq(certificates.cardId, cardId), gt(certificates.notAfter, now));
  const onHold = eq(certificates.revocationReason, 'certificateHold');
  let changed: { id: string; serialNumber: string; caId: string | null }[];
  const returning = {
    id: certificates.id,
    serialNumber: certificates.serialNumber,
    caId: certificates.caId,
  };
  if (effect === 'hold') {
    changed = await tx.db
      .update(certificates)
      .set({ revokedAt: now, revocationReason: 'certificateHold' })
      .where(and(ofCard, isNull(certificates.revokedAt)))
      .returning(returning);
  } else if (effect === 'release') {
    changed = await tx.db
      .update(certificates)
      .set({ revokedAt: null, revocationReason: null })
      .where(and(ofCard, onHold))
      .returning(returning);
  } else {
    // A hold ends with the final reason even on a certificate that expired while held: a
    // cancelled card keeps nothing on hold (OCSP would still say certificateHold of it).
    changed = await tx.db
      .update(certificates)
      .set({ revokedAt: now, revocationReason: effect.revoke })
      .where(
        and(
          eq(certificates.cardId, cardId),
          or(and(gt(certificates.notAfter, now), isNull(certificates.revokedAt)), onHold),
        ),
      )
      .returning(returning);
  }
  if (!input.cardRowByCaller) await refreshCardExpiry(tx, cardId);
  const ours = changed.some((c) => c.caId !== null);
  const crlNumber = ours ? await publishCrl(tx) : null;
  return { changed: changed.map(({ id, serialNumber }) => ({ id, serialNumber })), crlNumber };
}

/**
 * The card's expires_at as its certificates now say: the earliest notAfter of its current
 * certificates not revoked for good (a hold still counts: the card may come back), or null
 * when it has none. For a verb that updates the card's row anyway, set in that same update:
 * PostgreSQL checks a row's foreign keys again when a transaction updates the row a second
 * time, and the check of cards.person_id takes a key-share lock on the holder's row, which a
 * person's closing holds (locked first, then their cards): a second update of a card being
 * moved while its holder is closed was a deadlock.
 */
export function cardExpiry(cardId: string) {
  return sql<Date | null>`(select min(${certificates.notAfter}) from ${certificates}
        where ${certificates.cardId} = ${cardId} and ${certificates.current}
        and (${certificates.revokedAt} is null or ${certificates.revocationReason} = 'certificateHold'))`;
}

/** Sets the card's expires_at to `cardExpiry`, in an update of its own. */
export async function refreshCardExpiry(tx: TxContext, cardId: string) {
  await tx.db
    .update(cards)
    .set({ expiresAt: cardExpiry(cardId) })
    .where(eq(cards.id, cardId));
}
