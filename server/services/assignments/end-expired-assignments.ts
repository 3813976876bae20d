import { and, isNull, lt, sql } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';

/**
 * Marks every assignment that ran out on its end date but was never marked as ended
 * (expired), as `markExpiredAssignments` does for one person and position. Returns how many.
 */
export async function endExpiredAssignments(ctx: ServiceContext): Promise<number> {
  const ended = await ctx.db
    .update(assignments)
    .set({
      endedAt: ctx.now(),
      endReason: 'expired',
      endNote: sql`'Expired on ' || ${assignments.endDate}`,
    })
    .where(and(isNull(assignments.endedAt), lt(assignments.endDate, todayOf(ctx.now()))))
    .returning({ id: assignments.id });
  return ended.length;
}
