import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import {
  ConflictError,
  type FieldProblem,
  NotFoundError,
  SeparationOfDutiesError,
  ValidationError,
} from '../../errors.ts';
import { assertPersonInScope } from '../access/person-access.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { nameKeys } from './name-keys.ts';
import { dateOfBirthProblems } from './person-input.ts';
import { assertMayChangeRecordOf } from './ra-staff-records.ts';

export interface PersonChanges {
  givenName?: string | undefined;
  middleNames?: string | null | undefined;
  familyName?: string | undefined;
  nameOnCard?: string | null | undefined;
  dateOfBirth?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
}

/**
 * Edits a person's details; every changed field is audited, old and new. Only an actor who
 * may edit people for one of the person's organisations may do it, and not on a closed
 * record, which stays as it was closed. (The person's organisations are not changed here;
 * their status is changed by suspending, reactivating and closing, each with a reason.)
 */
export async function updatePerson(ctx: ServiceContext, personId: string, changes: PersonChanges) {
  const problems = await personChangeProblems(ctx, changes);
  if (problems.length) throw ValidationError.of(problems);
  return withTransaction(ctx, async (tx) => {
    const [person] = await tx.db.select().from(people).where(eq(people.id, personId)).for('update');
    if (!person) throw new NotFoundError('There is no such person.');
    await assertPersonInScope(tx, 'people:edit', personId, 'edit people');
    if (person.accountId && person.accountId === ctx.actor?.accountId) {
      throw new SeparationOfDutiesError('You cannot edit your own record: ask a colleague.');
    }
    await assertMayChangeRecordOf(tx, person);
    if (person.status === 'closed') {
      throw new ConflictError(
        `${person.givenName} ${person.familyName} is closed: a closed record is kept as it was.`,
      );
    }
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      const before = person[key as keyof typeof person];
      if (before !== value) changed[key] = { from: before, to: value };
    }
    if (Object.keys(changed).length === 0) return { changed: [] as string[] };
    await tx.db
      .update(people)
      .set({
        ...changes,
        ...nameKeys(changes.givenName ?? person.givenName, changes.familyName ?? person.familyName),
        updatedAt: ctx.now(),
      })
      .where(eq(people.id, personId));
    await recordAuditEvent(tx, {
      action: 'person.updated',
      subjectType: 'person',
      subjectId: personId,
      summary: { changed },
    });
    return { changed: Object.keys(changed) };
  });
}

/** What is wrong with an edit beyond its format: a date of birth in the future, or implausible. */
export async function personChangeProblems(
  ctx: ServiceContext,
  changes: Pick<PersonChanges, 'dateOfBirth'>,
): Promise<FieldProblem[]> {
  return changes.dateOfBirth ? dateOfBirthProblems(changes.dateOfBirth, ctx.now()) : [];
}
