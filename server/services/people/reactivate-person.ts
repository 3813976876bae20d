import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { lockPersonForMove } from './person-status.ts';

/** Makes a suspended person active again, with a reason. */
export async function reactivatePerson(ctx: ServiceContext, personId: string, reason: string) {
  return withTransaction(ctx, async (tx) => {
    const person = await lockPersonForMove(tx, personId, 'reactivate');
    await tx.db
      .update(people)
      .set({ status: 'active', updatedAt: ctx.now() })
      .where(eq(people.id, personId));
    await recordAuditEvent(tx, {
      action: 'person.reactivated',
      subjectType: 'person',
      subjectId: personId,
      summary: { from: person.status, reason },
    });
  });
}
