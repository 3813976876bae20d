import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { activities, type ClinicalSystem, jobRoles, positions } from '../../../db/schema/access.ts';
import { workgroups } from '../../../db/schema/organisations.ts';
import { ConflictError, type FieldProblem, ValidationError } from '../../errors.ts';
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
 * Checks that every code is in the national catalogue and every workgroup belongs to the
 * position's own organisation; one 400 names everything that is wrong at once.
 */
export async function assertPositionContent(
  ctx: ServiceContext,
  odsCode: string,
  content: Pick<PositionContent, 'jobRoles' | 'activities' | 'workgroupIds'>,
): Promise<void> {
  const problems: FieldProblem[] = [];
  if (content.jobRoles.length) {
    const found = await ctx.db
      .select({ code: jobRoles.code })
      .from(jobRoles)
      .where(inArray(jobRoles.code, content.jobRoles));
    const missing = content.jobRoles.filter((c) => !found.some((f) => f.code === c));
    if (missing.length) {
      problems.push({
        field: 'jobRoles',
        message: `unknown job role${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      });
    }
  }
  if (content.activities.length) {
    const found = await ctx.db
      .select({ code: activities.code })
      .from(activities)
      .where(inArray(activities.code, content.activities));
    const missing = content.activities.filter((c) => !found.some((f) => f.code === c));
    if (missing.length) {
      problems.push({
        field: 'activities',
        message: `unknown activit${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}`,
      });
    }
  }
  if (content.workgroupIds.length) {
    const own = await ctx.db
      .select({ id: workgroups.id })
      .from(workgroups)
      .where(and(inArray(workgroups.id, content.workgroupIds), eq(workgroups.odsCode, odsCode)));
    const foreign = content.workgroupIds.filter((id) => !own.some((w) => w.id === id));
    if (foreign.length) {
      problems.push({
        field: 'workgroupIds',
        message: `${foreign.length === 1 ? 'is not a workgroup' : 'are not workgroups'} of ${odsCode}: ${foreign.join(', ')}`,
      });
    }
  }
  if (problems.length) {
    throw new ValidationError(
      `The position is not right: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      problems,
    );
  }
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
