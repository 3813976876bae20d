import { and, eq } from 'drizzle-orm';
import { accessRequests, positions } from '../../../db/schema/access.ts';
import { people } from '../../../db/schema/people.ts';
import {
  ConflictError,
  DomainError,
  type FieldProblem,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { assertPersonInScope, noSuchPerson } from '../access/person-access.ts';
import { assignmentDateProblems } from '../assignments/assignment-dates.ts';
import { heldAssignment, heldSince } from '../assignments/held-assignment.ts';
import { positionFitProblems } from '../assignments/organisation-family.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { lockOpenRequest } from '../people/duplicate-locks.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';

export interface RaiseRequestInput {
  kind: 'assign' | 'remove';
  personId: string;
  positionId: string;
  startDate?: string | undefined;
  endDate?: string | undefined;
  note?: string | undefined;
}

/**
 * Raises a request. Staff raise them for themselves; sponsors and RA users for people in
 * their organisations. What a decision would need (an active person and position of the
 * same organisation, no duplicate) is checked now, so the decider is not surprised later.
 */
export async function raiseRequest(ctx: ServiceContext, input: RaiseRequestInput) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const today = todayOf(ctx.now());
  return withTransaction(ctx, async (tx) => {
    // FOR SHARE: closing the person at this moment (which withdraws their open requests)
    // makes us wait and then see them closed, so no request is left open for a closed person.
    const [person] = await tx.db
      .select()
      .from(people)
      .where(eq(people.id, input.personId))
      .for('share');
    if (!person) throw new NotFoundError(noSuchPerson);
    const forSelf = person.id === (await personIdOfActor(tx));
    if (!forSelf) {
      if (forSelfOnly(actor.permissions)) {
        throw new ForbiddenError('You can raise requests only for yourself.');
      }
      // For someone else: only a person of the caller's own organisations. A request never
      // makes a person visible who was not (actor-scope.ts, policy 1).
      await assertPersonInScope(tx, 'requests:raise', person.id, 'raise requests');
    }
    const [position] = await tx.db
      .select()
      .from(positions)
      .where(eq(positions.id, input.positionId));
    if (!position) throw new NotFoundError('There is no such position.');
    if (!forSelf && !(await actorScope(tx)).covers('requests:raise', position.odsCode)) {
      throw new ForbiddenError(
        `You can raise requests only for positions of your organisations, not ${position.odsCode}.`,
      );
    }
    if (person.status !== 'active') {
      throw new DomainError(
        'CONFLICT',
        `${person.givenName} ${person.familyName} is ${person.status.replaceAll('_', ' ')}: requests are for active people only.`,
      );
    }
    if (position.status !== 'active') {
      throw new DomainError('CONFLICT', `The position "${position.name}" is closed.`);
    }
    const problems = [
      ...(await positionFitProblems(tx, person.id, position)),
      ...(await requestProblems(tx, input)),
    ];
    if (problems.length) throw ValidationError.of(problems);
    // The same request raised twice at once: the second waits here, then finds the first.
    await lockOpenRequest(tx, { personId: person.id, positionId: position.id, kind: input.kind });
    const held = await heldAssignment(tx, person.id, position.id);
    if (input.kind === 'assign' && held) {
      throw new ConflictError(
        `${person.givenName} ${person.familyName} already holds "${position.name}"${heldSince(held, today)}.`,
        { assignmentId: held.id },
      );
    }
    if (input.kind === 'remove' && !held) {
      throw new ConflictError(
        `${person.givenName} ${person.familyName} does not hold "${position.name}".`,
      );
    }
    const [duplicate] = await tx.db
      .select({ id: accessRequests.id })
      .from(accessRequests)
      .where(
        and(
          eq(accessRequests.personId, person.id),
          eq(accessRequests.positionId, position.id),
          eq(accessRequests.kind, input.kind),
          eq(accessRequests.status, 'open'),
        ),
      );
    if (duplicate) {
      throw new ConflictError('The same request is already open.', { requestId: duplicate.id });
    }
    const [request] = await tx.db
      .insert(accessRequests)
      .values({
        kind: input.kind,
        personId: person.id,
        positionId: position.id,
        odsCode: position.odsCode,
        assignmentId: input.kind === 'remove' ? (held?.id ?? null) : null,
        startDate: input.kind === 'assign' ? (input.startDate ?? today) : null,
        endDate: input.kind === 'assign' ? (input.endDate ?? null) : null,
        note: input.note ?? null,
        raisedBy: actor.accountId,
        raisedAt: ctx.now(),
      })
      .returning();
    if (!request) throw new Error('request insert returned no row');
    await recordAuditEvent(tx, {
      action: 'request.raised',
      subjectType: 'request',
      subjectId: request.id,
      summary: {
        kind: input.kind,
        personId: person.id,
        position: position.name,
        odsCode: position.odsCode,
        note: input.note ?? null,
      },
    });
    return request;
  });
}

function forSelfOnly(permissions: readonly string[]): boolean {
  return !permissions.includes('requests:raise');
}

/**
 * What is wrong with the dates of a request to assign: a start from today to a year ahead,
 * an end within five years of it (a request asks ahead, so no backdating). A start date
 * that was itself wrong (`wrong`) leaves the end unchecked against it.
 */
export async function requestProblems(
  ctx: ServiceContext,
  input: Partial<Pick<RaiseRequestInput, 'kind' | 'startDate' | 'endDate'>>,
  wrong: ReadonlySet<string> = new Set(),
): Promise<FieldProblem[]> {
  if ((input.kind ?? 'assign') !== 'assign' || wrong.has('startDate')) return [];
  const today = todayOf(ctx.now());
  return assignmentDateProblems(
    { startDate: input.startDate ?? today, endDate: input.endDate ?? null },
    today,
    today,
  );
}
