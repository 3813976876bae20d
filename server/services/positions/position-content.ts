import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { activities, type ClinicalSystem, jobRoles, positions } from '../../../db/schema/access.ts';
import { workgroups } from '../../../db/schema/organisations.ts';
import { ConflictError, type FieldProblem } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';

/** What a position bundles: everything about it that an RA manager edits. */
export interface PositionContent {
  name: string;
  jobRoles: string[];
  activities: string[];
  workgroupIds: string[];
  systems: ClinicalSystem[];
  assignable: boolean;
}

/** The same content with each list free of repeats, as it is stored. */
export function normalisePositionContent(content: PositionContent): PositionContent {
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  return {
    ...content,
    jobRoles: unique(content.jobRoles),
    activities: unique(content.activities),
    workgroupIds: unique(content.workgroupIds),
    systems: unique(content.systems),
  };
}

/**
 * What is wrong with a position's content: a code not in the national catalogue, a
 * workgroup not of the position's own organisation (not checked when `odsCode` is null,
 * as when the organisation itself is unknown). Each problem names the list entry at fault.
 */
export async function positionContentProblems(
  ctx: ServiceContext,
  odsCode: string | null,
  content: Partial<Pick<PositionContent, 'jobRoles' | 'activities' | 'workgroupIds'>>,
): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const jobRoleCodes = content.jobRoles ?? [];
  if (jobRoleCodes.length) {
    const found = await ctx.db
      .select({ code: jobRoles.code })
      .from(jobRoles)
      .where(inArray(jobRoles.code, jobRoleCodes));
    jobRoleCodes.forEach((code, i) => {
      if (!found.some((f) => f.code === code)) {
        problems.push({ field: `jobRoles.${i}`, message: `No job role has code ${code}` });
      }
    });
  }
  const activityCodes = content.activities ?? [];
  if (activityCodes.length) {
    const found = await ctx.db
      .select({ code: activities.code })
      .from(activities)
      .where(inArray(activities.code, activityCodes));
    activityCodes.forEach((code, i) => {
      if (!found.some((f) => f.code === code)) {
        problems.push({ field: `activities.${i}`, message: `No activity has code ${code}` });
      }
    });
  }
  const workgroupIds = content.workgroupIds ?? [];
  if (odsCode && workgroupIds.length) {
    const own = await ctx.db
      .select({ id: workgroups.id })
      .from(workgroups)
      .where(and(inArray(workgroups.id, workgroupIds), eq(workgroups.odsCode, odsCode)));
    workgroupIds.forEach((id, i) => {
      if (!own.some((w) => w.id === id)) {
        problems.push({
          field: `workgroupIds.${i}`,
          message: `Choose a workgroup of ${odsCode}: this one is not one of its workgroups`,
        });
      }
    });
  }
  return problems;
}

/**
 * Refuses a name that another open position of the organisation already has, whatever its
 * case (the partial unique index `positions_name_uq` backs this up against races).
 */
export async function assertPositionNameFree(
  ctx: ServiceContext,
  odsCode: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  const [clash] = await ctx.db
    .select({ id: positions.id, name: positions.name })
    .from(positions)
    .where(
      and(
        eq(positions.odsCode, odsCode),
        eq(positions.status, 'active'),
        eq(sql`lower(${positions.name})`, sql`lower(${name})`),
        exceptId ? ne(positions.id, exceptId) : undefined,
      ),
    );
  if (clash) {
    throw new ConflictError(
      `${odsCode} already has an open position called "${clash.name}": choose another name.`,
      { positionId: clash.id },
    );
  }
}
