import { asc, eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { people } from '../../../db/schema/people.ts';
import { NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { noSuchPerson, personAccess } from '../access/person-access.ts';
import type { ServiceContext } from '../context.ts';
import { positionsFittingPerson } from '../positions/positions-fitting-person.ts';

export interface AssignablePosition {
  id: string;
  name: string;
  odsCode: string;
  systems: string[];
  assignable: boolean;
  actions: ('assign' | 'request')[];
}

/**
 * The positions the caller may give this person, and how: `assign` directly (RA users any
 * position of their organisations, sponsors those marked assignable of the organisations
 * they sponsor) or `request` one for a decider. Only active positions that fit the person
 * (of their organisations, the sites under them or the trust above them: the organisation
 * tree, as assigning checks it), that they do not already hold or have asked for, and only
 * while the person is active. What assignPosition and raiseRequest would refuse is left out.
 * On one's own record, only `request` (nobody gives themselves a position). A person the
 * caller may not see is a 404; one they see only as the subject of a request they decide
 * gets nothing.
 */
export async function listAssignablePositions(
  ctx: ServiceContext,
  personId: string,
): Promise<AssignablePosition[]> {
  const [person] = await ctx.db
    .select({ status: people.status })
    .from(people)
    .where(eq(people.id, personId));
  if (!person) throw new NotFoundError(noSuchPerson);
  const { access, odsCodes } = await personAccess(ctx, personId);
  if (access === 'none') throw new NotFoundError(noSuchPerson);
  if (access === 'decider' || person.status !== 'active' || !odsCodes.length) return [];
  const self = access === 'self';
  const scope = await actorScope(ctx);
  // Nobody gives themselves a position; they ask for one of their organisations' like anyone.
  const personIn = (permission: Parameters<typeof scope.coversAny>[0]) =>
    !self && scope.coversAny(permission, odsCodes);
  const ownRequests = self && !!ctx.actor?.permissions.includes('requests:raise-own');
  const {
    fitting,
    held: heldIds,
    asked: askedIds,
  } = await positionsFittingPerson(ctx, personId, odsCodes);
  const rows = await ctx.db
    .select({
      id: positions.id,
      name: positions.name,
      odsCode: positions.odsCode,
      systems: positions.systems,
      assignable: positions.assignable,
    })
    .from(positions)
    .where(fitting)
    .orderBy(asc(positions.odsCode), asc(positions.name));
  const result: AssignablePosition[] = [];
  for (const p of rows) {
    if (heldIds.has(p.id)) continue;
    const actions: AssignablePosition['actions'] = [];
    const byManager = scope.covers('assignments:manage', p.odsCode);
    if (
      byManager
        ? personIn('assignments:manage')
        : p.assignable &&
          scope.covers('assignments:assign-assignable', p.odsCode) &&
          personIn('assignments:assign-assignable')
    ) {
      actions.push('assign');
    }
    if (
      !askedIds.has(p.id) &&
      (ownRequests || (scope.covers('requests:raise', p.odsCode) && personIn('requests:raise')))
    ) {
      actions.push('request');
    }
    if (actions.length) result.push({ ...p, actions });
  }
  return result;
}
