import { eq, sql } from 'drizzle-orm';
import { accountRoles, accounts } from '../../../db/schema/accounts.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Whose sign-in throttle a manager may see and clear: `yours` when their accounts:unlock
 * reaches an organisation of the account (one its roles are held in, or its person works
 * for), `theirs` for another organisation's account, `unknown` when no account has the
 * name (what a guesser typed: nobody's, so every manager may see and clear it).
 */
export async function usernameReach(
  ctx: ServiceContext,
  username: string,
): Promise<'yours' | 'theirs' | 'unknown'> {
  const [account] = await ctx.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(sql`lower(${accounts.username})`, username.toLowerCase()));
  if (!account) return 'unknown';
  const scope = await actorScope(ctx);
  if (scope.of('accounts:unlock').all) return 'yours';
  const roles = await ctx.db
    .select({ odsCode: accountRoles.odsCode })
    .from(accountRoles)
    .where(eq(accountRoles.accountId, account.id));
  const works = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .innerJoin(people, eq(people.id, personOrganisations.personId))
    .where(eq(people.accountId, account.id));
  const theirs = [...roles, ...works].flatMap((r) => (r.odsCode ? [r.odsCode] : []));
  return scope.coversAny('accounts:unlock', theirs) ? 'yours' : 'theirs';
}
