import { and, eq, isNull } from 'drizzle-orm';
import { cardFlags, cards, certificates } from '../../../db/schema/cards.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { applyCertificateEffect, cardExpiry } from '../pki/certificate-effects.ts';
import {
  assertMayViewCard,
  type CardRecord,
  findCard,
  lifecycleActorFor,
  noSuchCard,
  outOfScopeRefusal,
} from './card-access.ts';
import {
  type CardReason,
  type CardState,
  type CardVerb,
  type CertificateEffect,
  planTransition,
  type TransitionPlan,
  transitionFrom,
} from './card-lifecycle.ts';

export interface TransitionCardInput {
  serial: string;
  verb: CardVerb;
  reason?: string | null;
}

/** What a move did, as its audit event records it. */
export interface CardMove {
  serial: string;
  from: CardState;
  to: CardState;
  reason: CardReason | null;
  /** Hex serials of the certificates whose status the move changed. */
  certificates: string[];
  /** The CRL published with the move; null when no certificate of our CA changed. */
  crlNumber: string | null;
}

export interface TransitionOptions {
  /**
   * `system`: the server's own move (a reader saw the PIN blocked, the holder was closed),
   * no person's act: the table's permission and separation of duties do not apply, and only
   * this actor makes the table's `system` moves. Never set from a route.
   */
  actor?: 'system';
  /** Why the server made the move, recorded with it (e.g. `person_closed`). */
  cause?: string;
}

/** The states in which a card's open flags have nothing left to ask for. */
const flagsEndWith = new Set(['cancelled', 'in_stock', 'destroyed']);

/**
 * THE verb every change of a card's state goes through: as the signed-in caller, in its own
 * transaction. See transitionCardTx.
 */
export function transitionCard(ctx: ServiceContext, input: TransitionCardInput): Promise<CardMove> {
  return withTransaction(ctx, (tx) => transitionCardTx(tx, input));
}

/**
 * One move of a card, in the caller's transaction: locks the card's row, answers a card the
 * caller may not see as one that does not exist (404), lets the lifecycle table decide
 * (409 for a move not allowed from the card's state, 403 for a permission the caller lacks
 * or holds only elsewhere, separation of duties on one's own card, 400 on `reason`), then
 * writes the new state with its reason and time, applies the move's effect to the card's
 * certificates (publishing the next CRL) and records one audit event `card.<verb>`, all in
 * that transaction.
 */
export async function transitionCardTx(
  tx: TxContext,
  input: TransitionCardInput,
  options: TransitionOptions = {},
): Promise<CardMove> {
  const card = await findCard(tx, input.serial, { forUpdate: true });
  if (!card) throw new NotFoundError(noSuchCard);
  const system = options.actor === 'system';
  if (!system) {
    if (!tx.actor) throw new ForbiddenError('Sign in to change a card.');
    await assertMayViewCard(tx, card);
  }
  const actor = system ? 'system' : await lifecycleActorFor(tx, card);
  const plan = planTransition({
    card: { state: card.state, holderAccountId: card.holderAccountId },
    actor,
    verb: input.verb,
    reason: input.reason,
  });
  if (!plan.ok) {
    const row = transitionFrom(card.state, input.verb);
    if (row && plan.error instanceof ForbiddenError) {
      throw (await outOfScopeRefusal(tx, card, row)) ?? plan.error;
    }
    throw plan.error;
  }
  return applyMove(tx, card, input.verb, plan, options.cause);
}

type Planned = Extract<TransitionPlan, { ok: true }>;

/** Writes a planned move: the card's row, its certificates and CRL, and its audit event. */
async function applyMove(
  tx: TxContext,
  card: CardRecord,
  verb: CardVerb,
  plan: Planned,
  cause: string | undefined,
): Promise<CardMove> {
  const now = tx.now();
  // The certificates first, then the card's row in ONE update (state and expires_at): a
  // second update of the row would take a lock on the holder's row, which a person's
  // closing holds while it waits for this card (see cardExpiry).
  const effect = await applyCertificateEffect(tx, {
    cardId: card.id,
    effect: plan.certificates,
    cardRowByCaller: true,
  });
  const updated = await tx.db
    .update(cards)
    .set({
      state: plan.to,
      stateReason: plan.reason,
      stateChangedAt: now,
      updatedAt: now,
      ...(plan.certificates === 'none' ? {} : { expiresAt: cardExpiry(card.id) }),
      // A card cleared back to stock is blank again: nobody holds it. Its former holder
      // stays on the audit event, so their history and the card's keep it.
      ...(plan.to === 'in_stock' ? { personId: null } : {}),
    })
    .where(and(eq(cards.id, card.id), eq(cards.state, card.state)))
    .returning({ id: cards.id });
  // The row is locked, so its state cannot have moved since it was read.
  if (updated.length !== 1) throw new ConflictError('The card changed meanwhile: try again.');
  // A card finished with (cancelled, destroyed) or blank again (cleared) leaves its open flags
  // nothing to ask for (a PIN to unlock, a certificate to renew): they are resolved with the
  // move. A cleared card carries no certificates: they stay recorded, no longer the card's.
  const flagsResolved = flagsEndWith.has(plan.to)
    ? (
        await tx.db
          .update(cardFlags)
          .set({ resolvedAt: now })
          .where(and(eq(cardFlags.cardSerial, card.serial), isNull(cardFlags.resolvedAt)))
          .returning({ id: cardFlags.id })
      ).length
    : 0;
  if (plan.to === 'in_stock') {
    await tx.db
      .update(certificates)
      .set({ current: false })
      .where(eq(certificates.cardId, card.id));
  }
  const move: CardMove = {
    serial: card.serial,
    from: card.state,
    to: plan.to,
    reason: plan.reason,
    certificates: effect.changed.map((c) => c.serialNumber),
    crlNumber: effect.crlNumber === null ? null : effect.crlNumber.toString(),
  };
  await recordAuditEvent(tx, {
    action: `card.${verb}`,
    subjectType: 'card',
    subjectId: card.serial,
    summary: {
      serial: card.serial,
      from: move.from,
      to: move.to,
      reason: move.reason,
      ...certificateSummary(plan.certificates, move.certificates),
      crlNumber: move.crlNumber,
      ...(flagsResolved ? { flagsResolved } : {}),
      ...(plan.to === 'in_stock' && card.personId ? { personId: card.personId } : {}),
      ...(cause ? { cause } : {}),
    },
  });
  return move;
}

/** The certificates a move changed, under a key that says how. */
function certificateSummary(effect: CertificateEffect, serials: string[]) {
  if (effect === 'none') return {};
  if (effect === 'hold') return { certificatesHeld: serials };
  if (effect === 'release') return { certificatesReleased: serials };
  return { certificatesRevoked: serials, revocationReason: effect.revoke };
}
