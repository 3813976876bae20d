import { asc, eq } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import type { TxContext } from '../context.ts';
import { transitionOnPersonClosed } from './card-lifecycle.ts';
import { type CardMove, transitionCardTx } from './transition-card.ts';

/**
 * A person who leaves has their cards cancelled as `left` (certificates revoked,
 * affiliationChanged), in the transaction that closes them: every card of theirs that
 * `transitionOnPersonClosed` says still has something to cancel. The table makes it the
 * server's move, not the closer's (who needs `people:change-status`, not `cards:cancel`),
 * so it goes through the lifecycle as `system`; each card's audit event still names the
 * closer as the one who acted, with the cause `person_closed`.
 */
export async function cancelCardsOfClosedPerson(
  tx: TxContext,
  personId: string,
): Promise<CardMove[]> {
  const held = await tx.db
    .select({ serial: cards.serial, state: cards.state })
    .from(cards)
    .where(eq(cards.personId, personId))
    .orderBy(asc(cards.createdAt), asc(cards.serial))
    .for('update');
  const moves: CardMove[] = [];
  for (const card of held) {
    const plan = transitionOnPersonClosed(card.state);
    if (!plan) continue;
    moves.push(
      await transitionCardTx(
        tx,
        { serial: card.serial, verb: plan.transition.verb, reason: plan.reason },
        { actor: 'system', cause: 'person_closed' },
      ),
    );
  }
  return moves;
}
