import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { lockPersonForMove } from './person-status.ts';

/**
 * Suspends an active person with a reason: they keep their record and positions, but while
 * suspended nobody can give them a position or raise a request for them. Reactivating
 * undoes it.
 */
export async function suspendPerson(ctx: ServiceContext, personId: string, reason: string) {
  return withTransaction(ctx, async (tx) => {
    const person = await lockPersonForMove(tx, personId, 'suspend');
    await tx.db
      .update(people)
      .set({ status: 'suspended', updatedAt: ctx.now() })
      .where(eq(people.id, personId));
    await recordAuditEvent(tx, {
      action: 'person.suspended',
      subjectType: 'person',
      subjectId: personId,
      summary: { from: person.status, reason },
    });
  });
}
