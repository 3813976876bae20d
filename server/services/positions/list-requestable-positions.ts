import { and, eq, inArray } from 'drizzle-orm';
import { accessRequests, assignments, positions } from '../../../db/schema/access.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { DomainError, NotFoundError } from '../../errors.ts';
import { ancestorsOf, descendantsOf } from '../access/organisation-tree.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { type PositionView, selectPositions } from './position-view.ts';

/**
 * Whether the caller may ask for a position now: `requestable`; `held` (they hold it, today
 * or from a later start); `requested` (their request for it is open).
 */
export type Availability = 'requestable' | 'held' | 'requested';

export interface RequestablePosition extends PositionView {
  availability: Availability;
}

/**
 * The open positions the caller may ask for themselves: those of the organisations they work
 * for, of the sites under them and of the trusts above them (the rule `positionFitsPerson`
 * enforces on raising), never another trust's. Those they already hold or have asked for are
 * listed too, marked, so the page can say why they cannot be chosen.
 */
export async function listRequestablePositions(
  ctx: ServiceContext,
): Promise<RequestablePosition[]> {
  if (!ctx.actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const personId = await personIdOfActor(ctx);
  if (!personId) throw new NotFoundError('Your account is not linked to a person record.');
  const worksFor = (
    await ctx.db
      .select({ odsCode: personOrganisations.odsCode })
      .from(personOrganisations)
      .where(eq(personOrganisations.personId, personId))
  ).map((o) => o.odsCode);
  if (!worksFor.length) return [];
  const [below, above] = await Promise.all([
    descendantsOf(ctx, worksFor),
    ancestorsOf(ctx, worksFor),
  ]);
  const reach = new Set([...below.values(), ...above.values()].flatMap((codes) => [...codes]));
  const [open, held, asked] = await Promise.all([
    selectPositions(
      ctx,
      and(inArray(positions.odsCode, [...reach]), eq(positions.status, 'active')),
    ),
    ctx.db
      .select({ positionId: assignments.positionId })
      .from(assignments)
      .where(and(eq(assignments.personId, personId), isHeld(todayOf(ctx.now())))),
    ctx.db
      .select({ positionId: accessRequests.positionId })
      .from(accessRequests)
      .where(
        and(
          eq(accessRequests.personId, personId),
          eq(accessRequests.kind, 'assign'),
          eq(accessRequests.status, 'open'),
        ),
      ),
  ]);
  const heldIds = new Set(held.map((h) => h.positionId));
  const askedIds = new Set(asked.map((a) => a.positionId));
  return open.map((p) => ({
    ...p,
    availability: heldIds.has(p.id) ? 'held' : askedIds.has(p.id) ? 'requested' : 'requestable',
  }));
}
