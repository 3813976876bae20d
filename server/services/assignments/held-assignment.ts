import { and, eq, gte, isNull, lt, or, type SQL } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';

/**
 * What "holds a position" means, everywhere it is asked (assigning, requesting, closing a
 * position, the systems a card flag affects): an assignment not ended (removed, closed or
 * marked expired) and not past its end date on `today`, the trust's date. One that starts
 * later counts: the person holds it from its start date, and a second would overlap it.
 */
export function isHeld(today: string): SQL {
  return and(
    isNull(assignments.endedAt),
    or(isNull(assignments.endDate), gte(assignments.endDate, today)),
  ) as SQL;
}

export interface HeldAssignment {
  id: string;
  startDate: string;
  endDate: string | null;
}

/** The person's held assignment of a position today, if any (there is at most one). */
export async function heldAssignment(
  ctx: ServiceContext,
  personId: string,
  positionId: string,
): Promise<HeldAssignment | undefined> {
  const [row] = await ctx.db
    .select({ id: assignments.id, startDate: assignments.startDate, endDate: assignments.endDate })
    .from(assignments)
    .where(
      and(
        eq(assignments.personId, personId),
        eq(assignments.positionId, positionId),
        isHeld(todayOf(ctx.now())),
      ),
    );
  return row;
}

/** How a refusal names the held assignment: " (from 2027-01-05)" or " (until 2027-03-31)". */
export function heldSince(held: HeldAssignment, today: string): string {
  if (held.startDate > today) return ` (from ${held.startDate})`;
  return held.endDate ? ` (until ${held.endDate})` : '';
}

/**
 * Marks the person's assignments of a position that ran out on their end date but were
 * never marked, so the position can be given again and the history says how each ended.
 */
export async function markExpiredAssignments(
  ctx: ServiceContext,
  personId: string,
  positionId: string,
): Promise<void> {
  const expired = await ctx.db
    .select({ id: assignments.id, endDate: assignments.endDate })
    .from(assignments)
    .where(
      and(
        eq(assignments.personId, personId),
        eq(assignments.positionId, positionId),
        isNull(assignments.endedAt),
        lt(assignments.endDate, todayOf(ctx.now())),
      ),
    );
  for (const a of expired) {
    await ctx.db
      .update(assignments)
      .set({ endedAt: ctx.now(), endReason: 'expired', endNote: `Expired on ${a.endDate}` })
      .where(eq(assignments.id, a.id));
  }
}
