import { and, eq, inArray } from 'drizzle-orm';
import { accountRoles, type RoleName } from '../../../db/schema/accounts.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';

/** The roles that make an account one of the RA team's own: DOMAIN.md's "RA staff". */
export const raStaffRoles = [
  'ra_manager',
  'ra_agent_advanced',
  'ra_agent',
  'id_checker',
] as const satisfies readonly RoleName[];

/** Whether the account (a person's login) holds any RA staff role. */
export async function isRaStaffAccount(
  ctx: ServiceContext,
  accountId: string | null,
): Promise<boolean> {
  if (!accountId) return false;
  const [row] = await ctx.db
    .select({ role: accountRoles.role })
    .from(accountRoles)
    .where(and(eq(accountRoles.accountId, accountId), inArray(accountRoles.role, raStaffRoles)))
    .limit(1);
  return !!row;
}

/**
 * Whether the caller may change this person's record (details or status) given who the
 * person is: anyone's, except that of a member of the RA team, which only those who manage
 * RA staff (the RA manager, `ra-staff:manage`, over one of the person's organisations) may
 * change. Without this an agent could close a colleague's record and so disable the RA
 * manager's login, or point a colleague's work email elsewhere.
 */
export async function mayChangeRecordOf(
  ctx: ServiceContext,
  person: { id: string; accountId: string | null; odsCodes?: readonly string[] },
): Promise<boolean> {
  if (!(await isRaStaffAccount(ctx, person.accountId))) return true;
  const odsCodes =
    person.odsCodes ??
    (
      await ctx.db
        .select({ odsCode: personOrganisations.odsCode })
        .from(personOrganisations)
        .where(eq(personOrganisations.personId, person.id))
    ).map((o) => o.odsCode);
  return (await actorScope(ctx)).coversAny('ra-staff:manage', odsCodes);
}

/** Refuses (403, saying why) a change to an RA staff member's record by anyone but their manager. */
export async function assertMayChangeRecordOf(
  ctx: ServiceContext,
  person: { id: string; accountId: string | null; givenName: string; familyName: string },
): Promise<void> {
  if (await mayChangeRecordOf(ctx, person)) return;
  throw new ForbiddenError(
    `${person.givenName} ${person.familyName} is a member of the RA team: only an RA manager changes their record.`,
  );
}
