import { and, eq, inArray } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from './person-of-actor.ts';

/**
 * Refuses (403) an actor whose roles grant `permission` for none of the person's
 * organisations. One organisation in scope is enough: a person who works for two trusts
 * may be looked after by the RA of either. `what` completes "You can … only for your own
 * organisations", e.g. "edit people".
 */
export async function assertPersonInScope(
  ctx: ServiceContext,
  permission: Permission,
  personId: string,
  what: string,
): Promise<void> {
  const scope = await organisationScope(ctx, permission);
  if (scope.all) return;
  const rows = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  const theirs = [...new Set(rows.map((r) => r.odsCode))].sort();
  if (theirs.some((code) => inScope(scope, code))) return;
  throw new ForbiddenError(
    theirs.length
      ? `You can ${what} only for your own organisations, not ${theirs.join(', ')}.`
      : `You can ${what} only for your own organisations, and this person belongs to none.`,
  );
}

/**
 * Refuses (403) a caller who may not see this person: they may see themselves, people of
 * the organisations where they hold `people:read`, and anyone who has asked for a position
 * they may decide on (a sponsor must see who is asking).
 */
export async function assertMayViewPerson(ctx: ServiceContext, personId: string): Promise<void> {
  const me = await personIdOfActor(ctx);
  if (me === personId) return;
  const scope = await organisationScope(ctx, 'people:read');
  if (scope.all) return;
  const rows = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  if (rows.some((r) => inScope(scope, r.odsCode))) return;
  const deciding = await organisationScope(ctx, 'requests:decide');
  const codes = deciding.all ? null : [...deciding.odsCodes];
  if (codes === null || codes.length) {
    const [asked] = await ctx.db
      .select({ id: accessRequests.id })
      .from(accessRequests)
      .where(
        codes === null
          ? eq(accessRequests.personId, personId)
          : and(eq(accessRequests.personId, personId), inArray(accessRequests.odsCode, codes)),
      )
      .limit(1);
    if (asked) return;
  }
  throw new ForbiddenError(
    'This person is not in your organisations, and has asked for nothing you decide.',
  );
}
