import { and, eq } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { people } from '../../../db/schema/people.ts';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  SeparationOfDutiesError,
} from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { assertMayViewPerson, noSuchPerson } from '../access/person-access.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';

/** Ends an open assignment now. The row stays, with who ended it, when and why. */
export async function endAssignment(
  ctx: TxContext,
  input: { personId: string; assignmentId: string; note: string },
) {
  const [row] = await ctx.db
    .select({ a: assignments, position: positions })
    .from(assignments)
    .innerJoin(positions, eq(positions.id, assignments.positionId))
    .where(and(eq(assignments.id, input.assignmentId), eq(assignments.personId, input.personId)))
    .for('update');
  if (!row) throw new NotFoundError('This person has no such assignment.');
  if (row.a.endedAt) throw new DomainError('CONFLICT', 'This assignment has already ended.');
  await ctx.db
    .update(assignments)
    .set({
      endedAt: ctx.now(),
      endReason: 'removed',
      endNote: input.note,
      endedBy: ctx.actor?.accountId ?? null,
    })
    .where(eq(assignments.id, input.assignmentId));
  await recordAuditEvent(ctx, {
    action: 'assignment.removed',
    subjectType: 'person',
    subjectId: input.personId,
    summary: { assignmentId: input.assignmentId, position: row.position.name, note: input.note },
  });
  return row.position;
}

/** An RA user removes a position from a person directly, with a note saying why. */
export async function removeAssignment(
  ctx: ServiceContext,
  input: { personId: string; assignmentId: string; note: string },
) {
  return withTransaction(ctx, async (tx) => {
    const [person] = await tx.db
      .select({ accountId: people.accountId })
      .from(people)
      .where(eq(people.id, input.personId));
    if (!person) throw new NotFoundError(noSuchPerson);
    await assertMayViewPerson(tx, input.personId);
    if (person.accountId && person.accountId === ctx.actor?.accountId) {
      throw new SeparationOfDutiesError('You cannot change your own access: ask a colleague.');
    }
    const [found] = await tx.db
      .select({ odsCode: positions.odsCode })
      .from(assignments)
      .innerJoin(positions, eq(positions.id, assignments.positionId))
      .where(and(eq(assignments.id, input.assignmentId), eq(assignments.personId, input.personId)));
    if (found && !(await actorScope(tx)).covers('assignments:manage', found.odsCode)) {
      throw new ForbiddenError(`You cannot change positions of ${found.odsCode}.`);
    }
    await endAssignment(tx, input);
  });
}
