import { and, asc, eq, inArray } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';

/**
 * The open organisations the caller may register people in, by ODS code: what a
 * registration form offers, so no one types a code that is refused later.
 */
export async function listRegistrationOrganisations(ctx: ServiceContext) {
  const scope = (await actorScope(ctx)).of('people:register');
  const open = eq(organisations.status, 'active');
  if (!scope.all && scope.odsCodes.size === 0) return [];
  return ctx.db
    .select()
    .from(organisations)
    .where(scope.all ? open : and(open, inArray(organisations.odsCode, [...scope.odsCodes])))
    .orderBy(asc(organisations.odsCode));
}
