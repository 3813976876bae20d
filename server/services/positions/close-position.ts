import { and, eq } from 'drizzle-orm';
import { accessRequests, assignments, positions } from '../../../db/schema/access.ts';
import { ConflictError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { getPosition } from './get-position.ts';
import { lockPosition } from './lock-position.ts';
import type { PositionView } from './position-view.ts';

/**
 * Closes a position with a reason, and in the same transaction ends every assignment of it
 * that is still open (current or starting later), noting the reason on each. Ended
 * assignments stay, so people's histories still show them. An assignment already past its
 * end date is left alone: it ended by expiry, and saying otherwise would rewrite history.
 */
export async function closePosition(
  ctx: ServiceContext,
  id: string,
  reason: string,
): Promise<{ position: PositionView; assignmentsEnded: number }> {
  return withTransaction(ctx, async (tx) => {
    const row = await lockPosition(tx, id);
    await assertInScope(tx, 'positions:manage', row.odsCode, 'positions');
    if (row.status === 'closed') throw new ConflictError(`"${row.name}" is already closed.`);
    const now = ctx.now();
    const actor = ctx.actor?.accountId ?? null;
    await tx.db
      .update(positions)
      .set({
        status: 'closed',
        closedReason: reason,
        closedAt: now,
        closedBy: actor,
        updatedAt: now,
      })
      .where(eq(positions.id, id));
    const ended = await tx.db
      .update(assignments)
      .set({ endedAt: now, endReason: 'position_closed', endNote: reason, endedBy: actor })
      .where(and(eq(assignments.positionId, id), isHeld(todayOf(now))))
      .returning({ id: assignments.id, personId: assignments.personId });
    // Open requests for it could only fail now: withdraw them, telling the requester why.
    const withdrawn = await tx.db
      .update(accessRequests)
      .set({
        status: 'withdrawn',
        decidedAt: now,
        decidedBy: actor,
        decisionReason: `Position closed: ${reason}`,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(and(eq(accessRequests.positionId, id), eq(accessRequests.status, 'open')))
      .returning({ id: accessRequests.id });
    await recordAuditEvent(tx, {
      action: 'position.closed',
      subjectType: 'position',
      subjectId: id,
      summary: {
        odsCode: row.odsCode,
        name: row.name,
        reason,
        assignmentsEnded: ended.length,
        requestsWithdrawn: withdrawn.map((r) => r.id),
      },
    });
    // One event per person too, so each person's own trail says why their access ended.
    for (const a of ended) {
      await recordAuditEvent(tx, {
        action: 'assignment.ended',
        subjectType: 'person',
        subjectId: a.personId,
        summary: {
          assignmentId: a.id,
          positionId: id,
          position: row.name,
          reason: 'position_closed',
          note: reason,
        },
      });
    }
    return { position: await getPosition(tx, id), assignmentsEnded: ended.length };
  });
}
