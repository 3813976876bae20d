import { and, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { accessRequests, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { people } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';

const raiser = alias(accounts, 'raiser');
const claimer = alias(accounts, 'claimer');
const decider = alias(accounts, 'decider');

/** Requests with the names a reader needs: person, position, who raised, holds and decided. */
export async function selectRequests(ctx: ServiceContext, where: SQL | undefined, limit: number) {
  const rows = await ctx.db
    .select({
      r: accessRequests,
      person: {
        id: people.id,
        userId: people.userId,
        givenName: people.givenName,
        familyName: people.familyName,
      },
      position: { id: positions.id, name: positions.name, odsCode: positions.odsCode },
      raisedBy: { username: raiser.username, displayName: raiser.displayName },
      claimer: { username: claimer.username, displayName: claimer.displayName },
      decider: { username: decider.username, displayName: decider.displayName },
    })
    .from(accessRequests)
    .innerJoin(people, eq(people.id, accessRequests.personId))
    .innerJoin(positions, eq(positions.id, accessRequests.positionId))
    .innerJoin(raiser, eq(raiser.id, accessRequests.raisedBy))
    .leftJoin(claimer, eq(claimer.id, accessRequests.claimedBy))
    .leftJoin(decider, eq(decider.id, accessRequests.decidedBy))
    .where(where)
    .orderBy(desc(accessRequests.raisedAt), desc(accessRequests.id))
    .limit(limit);
  const now = ctx.now();
  return rows.map(({ r, person, position, raisedBy, claimer: c, decider: d }) => {
    const claimed = r.claimedBy && r.claimedUntil && r.claimedUntil > now && c?.username;
    return {
      id: r.id,
      kind: r.kind,
      status: r.status,
      person: {
        id: person.id,
        userId: groupUserId(person.userId),
        name: `${person.givenName} ${person.familyName}`,
      },
      position,
      startDate: r.startDate,
      endDate: r.endDate,
      note: r.note,
      raisedBy,
      raisedAt: r.raisedAt.toISOString(),
      claim: claimed && r.claimedUntil ? { by: c, until: r.claimedUntil.toISOString() } : null,
      decidedBy: d?.username ? d : null,
      decidedAt: r.decidedAt?.toISOString() ?? null,
      decisionReason: r.decisionReason,
    };
  });
}

export type RequestView = Awaited<ReturnType<typeof selectRequests>>[number];

/** Open requests, and decided ones for `days` days after their decision. */
export function openOrRecentlyDecided(now: Date, days: number): SQL {
  return or(
    eq(accessRequests.status, 'open'),
    gt(accessRequests.decidedAt, new Date(now.getTime() - days * 86_400_000)),
  ) as SQL;
}

export function beforeCursor(cursor: { raisedAt: string; id: string }): SQL {
  return or(
    lt(accessRequests.raisedAt, new Date(cursor.raisedAt)),
    and(eq(accessRequests.raisedAt, new Date(cursor.raisedAt)), lt(accessRequests.id, cursor.id)),
  ) as SQL;
}

export function inOrganisations(odsCodes: ReadonlySet<string>): SQL {
  return odsCodes.size ? inArray(accessRequests.odsCode, [...odsCodes]) : sql`false`;
}
