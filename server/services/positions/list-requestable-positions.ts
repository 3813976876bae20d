import { eq } from 'drizzle-orm';
import { personOrganisations } from '../../../db/schema/people.ts';
import { DomainError, NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { type PositionView, selectPositions } from './position-view.ts';
import { positionsFittingPerson } from './positions-fitting-person.ts';

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
  const {
    fitting,
    held: heldIds,
    asked: askedIds,
  } = await positionsFittingPerson(ctx, personId, worksFor);
  const open = await selectPositions(ctx, fitting);
  return open.map((p) => ({
    ...p,
    availability: heldIds.has(p.id) ? 'held' : askedIds.has(p.id) ? 'requested' : 'requestable',
  }));
}
