import { eq } from 'drizzle-orm';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import type { ServiceContext } from '../context.ts';

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
