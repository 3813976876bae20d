import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { decidedVisibleDays } from '../requests/list-requests.ts';
import { openOrRecentlyDecided } from '../requests/request-view.ts';
import { actorScope } from './actor-scope.ts';

/**
 * How far the caller may see a person (actor-scope.ts, policy 1): `self`; `full` (people:read
 * reaches one of their organisations); `decider` (only as the subject of a request the
 * caller decides, open or decided within the inbox's 30 days); or `none`.
 */
export type PersonAccess = 'self' | 'full' | 'decider' | 'none';

/** The answer for a person the caller may not see, word for word that for one who does not exist. */
export const noSuchPerson = 'There is no such person.';

async function organisationsOf(ctx: ServiceContext, personId: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  return [...new Set(rows.map((r) => r.odsCode))].sort();
}

/** The caller's access to an existing person, and the person's organisations. */
export async function personAccess(
  ctx: ServiceContext,
  personId: string,
): Promise<{ access: PersonAccess; odsCodes: string[] }> {
  const odsCodes = await organisationsOf(ctx, personId);
  if ((await personIdOfActor(ctx)) === personId) return { access: 'self', odsCodes };
  const scope = await actorScope(ctx);
  if (scope.coversAny('people:read', odsCodes)) return { access: 'full', odsCodes };
  const deciding = scope.of('requests:decide');
  if (deciding.all || deciding.odsCodes.size) {
    const where: SQL[] = [
      eq(accessRequests.personId, personId),
      openOrRecentlyDecided(ctx.now(), decidedVisibleDays),
    ];
    if (!deciding.all) where.push(inArray(accessRequests.odsCode, [...deciding.odsCodes]));
    const [asked] = await ctx.db
      .select({ id: accessRequests.id })
      .from(accessRequests)
      .where(and(...where))
      .limit(1);
    if (asked) return { access: 'decider', odsCodes };
  }
  return { access: 'none', odsCodes };
}

/** 404, as for a person who does not exist, unless the caller may see the person at all. */
export async function assertMayViewPerson(
  ctx: ServiceContext,
  personId: string,
): Promise<Exclude<PersonAccess, 'none'>> {
  const { access } = await personAccess(ctx, personId);
  if (access === 'none') throw new NotFoundError(noSuchPerson);
  return access;
}

/**
 * For work on a person with `permission`: 404 when the caller may not see them at all; a 403
 * saying why when they may see them but `permission` reaches none of the person's
 * organisations (one is enough: a person who works for two trusts may be looked after by
 * the RA of either). `what` completes "You can … only for", e.g. "edit people".
 */
export async function assertPersonInScope(
  ctx: ServiceContext,
  permission: Permission,
  personId: string,
  what: string,
): Promise<void> {
  const { access, odsCodes } = await personAccess(ctx, personId);
  if (access === 'none') throw new NotFoundError(noSuchPerson);
  if ((await actorScope(ctx)).coversAny(permission, odsCodes)) return;
  if (access === 'decider') {
    throw new ForbiddenError(
      `You see this person only because they asked for a position you decide: you can ${what} only for people of your own organisations, and they work for ${odsCodes.join(', ')}. Decide their request instead, or ask their RA team.`,
    );
  }
  throw new ForbiddenError(
    odsCodes.length
      ? `You can ${what} only for your own organisations, not ${odsCodes.join(', ')}.`
      : `You can ${what} only for your own organisations, and this person belongs to none.`,
  );
}
