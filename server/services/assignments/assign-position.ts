import { eq } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { people } from '../../../db/schema/people.ts';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  SeparationOfDutiesError,
  ValidationError,
} from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { assertMayViewPerson, assertPersonInScope, noSuchPerson } from '../access/person-access.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { assignmentDateProblems, earliestDirectStart } from './assignment-dates.ts';
import { heldAssignment, heldSince, markExpiredAssignments } from './held-assignment.ts';
import { positionFitProblems } from './organisation-family.ts';

export interface AssignInput {
  personId: string;
  positionId: string;
  startDate?: string | undefined;
  endDate?: string | null | undefined;
  /** Set when an approved request is what grants it. */
  requestId?: string | undefined;
}

/**
 * Checks everything that must hold for a person to be given a position, whoever grants it,
 * and creates the assignment. Callers decide who may grant; this decides whether it can be.
 */
export async function createAssignment(ctx: TxContext, input: AssignInput) {
  const today = todayOf(ctx.now());
  const startDate = input.startDate ?? today;
  const endDate = input.endDate ?? null;
  // FOR SHARE: a person being suspended or closed at this moment makes us wait, then see
  // them so, so nobody closed is left holding a position granted in the same instant.
  const [person] = await ctx.db
    .select()
    .from(people)
    .where(eq(people.id, input.personId))
    .for('share');
  if (!person) throw new NotFoundError('There is no such person.');
  if (person.status !== 'active') {
    throw new DomainError(
      'CONFLICT',
      `${person.givenName} ${person.familyName} is ${person.status.replaceAll('_', ' ')}: only an active person (identity checked) can hold a position.`,
    );
  }
  // FOR SHARE: a position being closed at this moment makes us wait, then see it closed,
  // so nobody is left holding an open assignment of a closed position.
  const [position] = await ctx.db
    .select()
    .from(positions)
    .where(eq(positions.id, input.positionId))
    .for('share');
  if (!position) throw new NotFoundError('There is no such position.');
  if (position.status !== 'active') {
    throw new DomainError('CONFLICT', `The position "${position.name}" is closed.`);
  }
  // A request's dates were checked when it was raised; its start may have passed while it
  // waited for a decision, and that is no reason to refuse it now.
  const problems = [
    ...(await positionFitProblems(ctx, person.id, position)),
    ...assignmentDateProblems(
      { startDate, endDate },
      today,
      input.requestId ? startDate : earliestDirectStart(today),
    ),
  ];
  if (problems.length) throw ValidationError.of(problems);
  const held = await heldAssignment(ctx, person.id, position.id);
  if (held) {
    throw new ConflictError(
      `${person.givenName} ${person.familyName} already holds "${position.name}"${heldSince(held, today)}.`,
      { assignmentId: held.id },
    );
  }
  await markExpiredAssignments(ctx, person.id, position.id);
  const [row] = await ctx.db
    .insert(assignments)
    .values({
      personId: person.id,
      positionId: position.id,
      startDate,
      endDate,
      createdAt: ctx.now(),
      createdBy: ctx.actor?.accountId ?? null,
      requestId: input.requestId ?? null,
    })
    .returning();
  if (!row) throw new Error('assignment insert returned no row');
  await recordAuditEvent(ctx, {
    action: 'assignment.created',
    subjectType: 'person',
    subjectId: person.id,
    summary: {
      assignmentId: row.id,
      positionId: position.id,
      position: position.name,
      odsCode: position.odsCode,
      startDate,
      endDate,
      requestId: input.requestId ?? null,
    },
  });
  return row;
}

/**
 * Assigns a position directly. RA users may assign any position of their organisations;
 * sponsors only the positions marked assignable, of the organisations they sponsor. Either
 * way only to people of their own organisations (a person seen only as the subject of a
 * request is given a position by deciding the request). Nobody assigns a position to
 * themselves.
 */
export async function assignPosition(ctx: ServiceContext, input: AssignInput) {
  return withTransaction(ctx, async (tx) => {
    const [person] = await tx.db
      .select({ accountId: people.accountId })
      .from(people)
      .where(eq(people.id, input.personId));
    if (!person) throw new NotFoundError(noSuchPerson);
    await assertMayViewPerson(tx, input.personId);
    if (person.accountId && person.accountId === ctx.actor?.accountId) {
      throw new SeparationOfDutiesError('You cannot give yourself a position: ask a colleague.');
    }
    const [position] = await tx.db
      .select({
        odsCode: positions.odsCode,
        assignable: positions.assignable,
        name: positions.name,
      })
      .from(positions)
      .where(eq(positions.id, input.positionId));
    if (position) {
      const scope = await actorScope(tx);
      const granting = scope.covers('assignments:manage', position.odsCode)
        ? 'assignments:manage'
        : 'assignments:assign-assignable';
      if (!scope.covers(granting, position.odsCode)) {
        throw new ForbiddenError(
          `You cannot assign positions of ${position.odsCode}: it is not one of your organisations.`,
        );
      }
      if (granting === 'assignments:assign-assignable' && !position.assignable) {
        throw new ForbiddenError(
          `"${position.name}" is not marked assignable: raise a request for the RA team to decide.`,
        );
      }
      await assertPersonInScope(tx, granting, input.personId, 'assign positions');
    }
    return createAssignment(tx, input);
  });
}

/**
 * What is wrong with the dates of a direct assignment, for a form: a start from today
 * when none is given, unless the start date sent was itself wrong.
 */
export async function directAssignmentProblems(
  ctx: ServiceContext,
  input: Partial<Pick<AssignInput, 'startDate' | 'endDate'>>,
  wrong: ReadonlySet<string> = new Set(),
) {
  if (wrong.has('startDate')) return [];
  const today = todayOf(ctx.now());
  return assignmentDateProblems(
    { startDate: input.startDate ?? today, endDate: input.endDate ?? null },
    today,
    earliestDirectStart(today),
  );
}
