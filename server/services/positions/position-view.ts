import { asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import {
  activities,
  type ClinicalSystem,
  clinicalSystems,
  jobRoles,
  positionActivities,
  positionJobRoles,
  positions,
  positionWorkgroups,
} from '../../../db/schema/access.ts';
import { workgroups } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';
import { readTogether } from '../read-together.ts';

const isClinicalSystem = (s: string): s is ClinicalSystem =>
  (clinicalSystems as readonly string[]).includes(s);

/**
 * Positions with their job roles, activities and workgroups, named, in `order` (by
 * organisation and name unless given), at most `limit` of them.
 */
export async function selectPositions(
  ctx: ServiceContext,
  where: SQL | undefined,
  page: { order?: SQL[]; limit?: number } = {},
) {
  const query = ctx.db
    .select()
    .from(positions)
    .where(where)
    .orderBy(...(page.order ?? [asc(positions.odsCode), asc(positions.name)]));
  const rows = await (page.limit === undefined ? query : query.limit(page.limit));
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  // The three lists in one statement (read-together.ts): a round trip each cost more than
  // reading them.
  const positionOf = (column: AnyPgColumn) => sql<string>`${column}`.as('positionId');
  const { roles, acts, groups } = await readTogether(ctx, {
    roles: ctx.db
      .select({
        positionId: positionOf(positionJobRoles.positionId),
        code: jobRoles.code,
        name: jobRoles.name,
      })
      .from(positionJobRoles)
      .innerJoin(jobRoles, eq(jobRoles.code, positionJobRoles.code))
      .where(inArray(positionJobRoles.positionId, ids))
      .orderBy(asc(jobRoles.code)),
    acts: ctx.db
      .select({
        positionId: positionOf(positionActivities.positionId),
        code: activities.code,
        name: activities.name,
      })
      .from(positionActivities)
      .innerJoin(activities, eq(activities.code, positionActivities.code))
      .where(inArray(positionActivities.positionId, ids))
      .orderBy(asc(activities.code)),
    groups: ctx.db
      .select({
        positionId: positionOf(positionWorkgroups.positionId),
        id: workgroups.id,
        name: workgroups.name,
      })
      .from(positionWorkgroups)
      .innerJoin(workgroups, eq(workgroups.id, positionWorkgroups.workgroupId))
      .where(inArray(positionWorkgroups.positionId, ids))
      .orderBy(asc(workgroups.name)),
  });
  // Each list grouped by position once, in its own order: a position then takes its own
  // lists, where filtering every list for every position was quadratic (seconds for the
  // 12,000 positions of 60 trusts, on the event loop while other requests waited).
  const byPosition = <T extends { positionId: string }>(list: T[]) => {
    const grouped = new Map<string, Omit<T, 'positionId'>[]>();
    for (const { positionId, ...rest } of list) {
      const items = grouped.get(positionId);
      if (items) items.push(rest);
      else grouped.set(positionId, [rest]);
    }
    return (id: string) => grouped.get(id) ?? [];
  };
  const rolesOf = byPosition(roles);
  const activitiesOf = byPosition(acts);
  const workgroupsOf = byPosition(groups);
  return rows.map((p) => ({
    id: p.id,
    odsCode: p.odsCode,
    name: p.name,
    jobRoles: rolesOf(p.id),
    activities: activitiesOf(p.id),
    workgroups: workgroupsOf(p.id),
    systems: p.systems.filter(isClinicalSystem),
    assignable: p.assignable,
    status: p.status,
    closedReason: p.closedReason,
    closedAt: p.closedAt?.toISOString() ?? null,
  }));
}

export type PositionView = Awaited<ReturnType<typeof selectPositions>>[number];
