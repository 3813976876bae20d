import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { accessRequests, assignments, positions } from '../../../db/schema/access.ts';
import { ancestorsOf, descendantsOf } from '../access/organisation-tree.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';

/**
 * What both "positions a person may be given" and "positions I may ask for" start from: the
 * organisations a position must belong to for this person (their own, the sites under them
 * and the trusts above them: the organisation tree, as assigning and raising check it), and
 * which positions they already hold (today or from a later start) or have asked for.
 */
export async function positionsFittingPerson(
  ctx: ServiceContext,
  personId: string,
  worksFor: readonly string[],
): Promise<{ fitting: SQL | undefined; held: Set<string>; asked: Set<string> }> {
  const [below, above, held, asked] = await Promise.all([
    descendantsOf(ctx, [...worksFor]),
    ancestorsOf(ctx, [...worksFor]),
    ctx.db
      .select({ positionId: assignments.positionId })
      .from(assignments)
      .where(and(eq(assignments.personId, personId), isHeld(todayOf(ctx.now())))),
    ctx.db
      .select({ positionId: accessRequests.positionId })
      .from(accessRequests)
      .where(
        and(
          eq(accessRequests.personId, personId),
          eq(accessRequests.kind, 'assign'),
          eq(accessRequests.status, 'open'),
        ),
      ),
  ]);
  const reach = [...new Set([...below.values(), ...above.values()].flatMap((s) => [...s]))];
  return {
    fitting: and(eq(positions.status, 'active'), inArray(positions.odsCode, reach)),
    held: new Set(held.map((h) => h.positionId)),
    asked: new Set(asked.map((a) => a.positionId)),
  };
}
