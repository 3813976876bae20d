import { asc, eq, inArray, type SQL } from 'drizzle-orm';
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

const isClinicalSystem = (s: string): s is ClinicalSystem =>
  (clinicalSystems as readonly string[]).includes(s);

/** Positions with their job roles, activities and workgroups, named. */
export async function selectPositions(ctx: ServiceContext, where: SQL | undefined) {
  const rows = await ctx.db
    .select()
    .from(positions)
    .where(where)
    .orderBy(asc(positions.odsCode), asc(positions.name));
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const [roles, acts, groups] = await Promise.all([
    ctx.db
      .select({ positionId: positionJobRoles.positionId, code: jobRoles.code, name: jobRoles.name })
      .from(positionJobRoles)
      .innerJoin(jobRoles, eq(jobRoles.code, positionJobRoles.code))
      .where(inArray(positionJobRoles.positionId, ids))
      .orderBy(asc(jobRoles.code)),
    ctx.db
      .select({
        positionId: positionActivities.positionId,
        code: activities.code,
        name: activities.name,
      })
      .from(positionActivities)
      .innerJoin(activities, eq(activities.code, positionActivities.code))
      .where(inArray(positionActivities.positionId, ids))
      .orderBy(asc(activities.code)),
    ctx.db
      .select({
        positionId: positionWorkgroups.positionId,
        id: workgroups.id,
        name: workgroups.name,
      })
      .from(positionWorkgroups)
      .innerJoin(workgroups, eq(workgroups.id, positionWorkgroups.workgroupId))
      .where(inArray(positionWorkgroups.positionId, ids))
      .orderBy(asc(workgroups.name)),
  ]);
  const of = <T extends { positionId: string }>(list: T[], id: string) =>
    list.filter((x) => x.positionId === id).map(({ positionId: _, ...rest }) => rest);
  return rows.map((p) => ({
    id: p.id,
    odsCode: p.odsCode,
    name: p.name,
    jobRoles: of(roles, p.id),
    activities: of(acts, p.id),
    workgroups: of(groups, p.id),
    systems: p.systems.filter(isClinicalSystem),
    assignable: p.assignable,
    status: p.status,
    closedReason: p.closedReason,
    closedAt: p.closedAt?.toISOString() ?? null,
  }));
}

export type PositionView = Awaited<ReturnType<typeof selectPositions>>[number];
