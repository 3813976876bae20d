import { eq, inArray } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { DomainError, NotFoundError } from '../../errors.ts';
import { roleLabels } from '../../permissions/permissions.ts';
import type { ServiceContext } from '../context.ts';

/** The signed-in caller: who they are, their roles (per organisation) and permissions. */
export async function describeMe(ctx: ServiceContext) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, actor.accountId));
  if (!account) throw new NotFoundError('Your account no longer exists.');
  const codes = [...new Set(actor.roles.map((r) => r.odsCode).filter((c) => c !== null))];
  const orgs = codes.length
    ? await ctx.db
        .select({ odsCode: organisations.odsCode, name: organisations.name })
        .from(organisations)
        .where(inArray(organisations.odsCode, codes))
    : [];
  const orgByCode = new Map(orgs.map((o) => [o.odsCode, o]));
  return {
    account: {
      id: account.id,
      username: account.username,
      displayName: account.displayName,
      email: account.email,
    },
    roles: actor.roles.map((r) => ({
      role: r.role,
      label: roleLabels[r.role],
      organisation: r.odsCode
        ? (orgByCode.get(r.odsCode) ?? { odsCode: r.odsCode, name: r.odsCode })
        : null,
    })),
    permissions: actor.permissions,
  };
}
