import { and, eq, inArray } from 'drizzle-orm';
import {
  activities,
  type ClinicalSystem,
  jobRoles,
  positionActivities,
  positionJobRoles,
  positionWorkgroups,
} from '../../../db/schema/access.ts';
import { workgroups } from '../../../db/schema/organisations.ts';
import { type FieldProblem, ValidationError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';

export interface PositionContent {
  name: string;
  jobRoles: string[];
  activities: string[];
  workgroupIds: string[];
  systems: ClinicalSystem[];
  assignable: boolean;
}

/** Checks that every code is in the catalogue and every workgroup is the organisation's own. */
export async function assertPositionContent(
  ctx: ServiceContext,
  odsCode: string,
  content: Pick<PositionContent, 'jobRoles' | 'activities' | 'workgroupIds'>,
) {
  const problems: FieldProblem[] = [];
  const unknown = async (
    codes: string[],
    table: typeof jobRoles | typeof activities,
    field: string,
    what: string,
  ) => {
    if (!codes.length) return;
    const found = await ctx.db
      .select({ code: table.code })
      .from(table)
      .where(inArray(table.code, codes));
    const missing = codes.filter((c) => !found.some((f) => f.code === c));
    if (missing.length) problems.push({ field, message: `unknown ${what} ${missing.join(', ')}` });
  };
  await unknown(content.jobRoles, jobRoles, 'jobRoles', 'job role');
  await unknown(content.activities, activities, 'activities', 'activity');
  if (content.workgroupIds.length) {
    const own = await ctx.db
      .select({ id: workgroups.id })
      .from(workgroups)
      .where(and(inArray(workgroups.id, content.workgroupIds), eq(workgroups.odsCode, odsCode)));
    const foreign = content.workgroupIds.filter((id) => !own.some((w) => w.id === id));
    if (foreign.length) {
      problems.push({
        field: 'workgroupIds',
        message: `${foreign.length === 1 ? 'a workgroup is' : 'workgroups are'} not ${odsCode}'s: ${foreign.join(', ')}`,
      });
    }
  }
  if (problems.length) {
    throw new ValidationError(
      `The position is not right: ${problems.map((p) => p.message).join('; ')}.`,
      problems,
    );
  }
}

/** Replaces a position's job roles, activities and workgroups with the given ones. */
export async function writePositionLinks(
  ctx: ServiceContext,
  positionId: string,
  content: Pick<PositionContent, 'jobRoles' | 'activities' | 'workgroupIds'>,
) {
  await ctx.db.delete(positionJobRoles).where(eq(positionJobRoles.positionId, positionId));
  await ctx.db.delete(positionActivities).where(eq(positionActivities.positionId, positionId));
  await ctx.db.delete(positionWorkgroups).where(eq(positionWorkgroups.positionId, positionId));
  const unique = (xs: string[]) => [...new Set(xs)];
  if (content.jobRoles.length) {
    await ctx.db
      .insert(positionJobRoles)
      .values(unique(content.jobRoles).map((code) => ({ positionId, code })));
  }
  if (content.activities.length) {
    await ctx.db
      .insert(positionActivities)
      .values(unique(content.activities).map((code) => ({ positionId, code })));
  }
  if (content.workgroupIds.length) {
    await ctx.db
      .insert(positionWorkgroups)
      .values(unique(content.workgroupIds).map((workgroupId) => ({ positionId, workgroupId })));
  }
}
