import { and, eq, inArray } from 'drizzle-orm';
import { accessRequests, assignments, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { people } from '../../../db/schema/people.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { cancelCardsOfClosedPerson } from '../cards/cancel-cards-of-closed-person.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { lockPersonForMove } from './person-status.ts';

/**
 * Closes a person with a reason (they left, or were registered in error). The record stays,
 * and their user ID is never given to anyone else; in the same transaction every position
 * they hold now or later ends (the reason noted on each, as closing a position does), their
 * open requests are withdrawn, their login, if they have one, is disabled, which ends its
 * sessions, and their cards are cancelled as `left` through the card lifecycle (certificates
 * revoked as affiliationChanged, the next CRL published). A closed person is never reopened:
 * someone who comes back is registered again.
 */
export async function closePerson(ctx: ServiceContext, personId: string, reason: string) {
  return withTransaction(ctx, async (tx) => {
    const person = await lockPersonForMove(tx, personId, 'close');
    const now = ctx.now();
    const actor = ctx.actor?.accountId ?? null;
    await tx.db
      .update(people)
      .set({ status: 'closed', updatedAt: now })
      .where(eq(people.id, personId));
    const ended = await tx.db
      .update(assignments)
      .set({ endedAt: now, endReason: 'person_closed', endNote: reason, endedBy: actor })
      .where(and(eq(assignments.personId, personId), isHeld(todayOf(now))))
      .returning({ id: assignments.id, positionId: assignments.positionId });
    const endedPositions = ended.length
      ? await tx.db
          .select({ id: positions.id, name: positions.name })
          .from(positions)
          .where(
            inArray(
              positions.id,
              ended.map((a) => a.positionId),
            ),
          )
      : [];
    const withdrawn = await tx.db
      .update(accessRequests)
      .set({
        status: 'withdrawn',
        decidedAt: now,
        decidedBy: actor,
        decisionReason: `Person closed: ${reason}`,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(and(eq(accessRequests.personId, personId), eq(accessRequests.status, 'open')))
      .returning({ id: accessRequests.id });
    let loginDisabled = false;
    if (person.accountId) {
      const disabled = await tx.db
        .update(accounts)
        .set({ status: 'disabled' })
        .where(and(eq(accounts.id, person.accountId), eq(accounts.status, 'active')))
        .returning({ id: accounts.id });
      loginDisabled = disabled.length > 0;
    }
    const cardsCancelled = await cancelCardsOfClosedPerson(tx, personId);
    const nameOf = new Map(endedPositions.map((p) => [p.id, p.name]));
    await recordAuditEvent(tx, {
      action: 'person.closed',
      subjectType: 'person',
      subjectId: personId,
      summary: {
        from: person.status,
        reason,
        assignmentsEnded: ended.map((a) => ({
          assignmentId: a.id,
          position: nameOf.get(a.positionId) ?? a.positionId,
        })),
        requestsWithdrawn: withdrawn.map((r) => r.id),
        loginDisabled,
        cardsCancelled: cardsCancelled.map((c) => c.serial),
      },
    });
  });
}
