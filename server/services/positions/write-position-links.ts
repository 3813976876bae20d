import { eq } from 'drizzle-orm';
import {
  positionActivities,
  positionJobRoles,
  positionWorkgroups,
} from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import type { PositionContent } from './position-content.ts';

/** Replaces a position's job roles, activities and workgroups with the given (checked) ones. */
export async function writePositionLinks(
  ctx: ServiceContext,
  positionId: string,
  content: Pick<PositionContent, 'jobRoles' | 'activities' | 'workgroupIds'>,
): Promise<void> {
  await ctx.db.delete(positionJobRoles).where(eq(positionJobRoles.positionId, positionId));
  await ctx.db.delete(positionActivities).where(eq(positionActivities.positionId, positionId));
  await ctx.db.delete(positionWorkgroups).where(eq(positionWorkgroups.positionId, positionId));
  if (content.jobRoles.length) {
    await ctx.db
      .insert(positionJobRoles)
      .values(content.jobRoles.map((code) => ({ positionId, code })));
  }
  if (content.activities.length) {
    await ctx.db
      .insert(positionActivities)
      .values(content.activities.map((code) => ({ positionId, code })));
  }
  if (content.workgroupIds.length) {
    await ctx.db
      .insert(positionWorkgroups)
      .values(content.workgroupIds.map((workgroupId) => ({ positionId, workgroupId })));
  }
}
