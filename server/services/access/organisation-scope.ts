import { organisations } from '../../../db/schema/organisations.ts';
import { type Permission, rolePermissions } from '../../permissions/permissions.ts';
import type { Actor, ServiceContext } from '../context.ts';

/** Where a caller may use a permission: everywhere, or in these organisations only. */
export type OrganisationScope = { all: true } | { all: false; odsCodes: Set<string> };

/**
 * The organisations in which the actor holds a role granting `permission`. An RA role
 * (or any role but sponsor) held at a trust covers its sites too; a sponsor's covers
 * exactly the organisation they sponsor (DOMAIN.md: a sponsor of RWG decides RWG's
 * requests only). A role held with no organisation covers everywhere.
 */
export async function organisationScope(
  ctx: ServiceContext,
  permission: Permission,
  actor: Actor | null = ctx.actor,
): Promise<OrganisationScope> {
  const roles = (actor?.roles ?? []).filter((r) => rolePermissions[r.role].includes(permission));
  if (roles.some((r) => r.odsCode === null)) return { all: true };
  const codes = new Set<string>();
  const needsTree = roles.some((r) => r.role !== 'sponsor');
  const children = new Map<string, string[]>();
  if (needsTree) {
    const rows = await ctx.db
      .select({ odsCode: organisations.odsCode, parent: organisations.parentOdsCode })
      .from(organisations);
    for (const row of rows) {
      if (!row.parent) continue;
      children.set(row.parent, [...(children.get(row.parent) ?? []), row.odsCode]);
    }
  }
  const addWithDescendants = (code: string) => {
    if (codes.has(code)) return;
    codes.add(code);
    for (const child of children.get(code) ?? []) addWithDescendants(child);
  };
  for (const role of roles) {
    if (!role.odsCode) continue;
    if (role.role === 'sponsor') codes.add(role.odsCode);
    else addWithDescendants(role.odsCode);
  }
  return { all: false, odsCodes: codes };
}

export function inScope(scope: OrganisationScope, odsCode: string): boolean {
  return scope.all || scope.odsCodes.has(odsCode);
}
