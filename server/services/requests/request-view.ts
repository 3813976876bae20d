import { and, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { accessRequests, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { people } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { selectPositions } from '../positions/position-view.ts';

const raiser = alias(accounts, 'raiser');
const claimer = alias(accounts, 'claimer');
const decider = alias(accounts, 'decider');

/** What the caller may do to a request now: the page shows only these. */
export type RequestAction = 'decide' | 'withdraw';
export const requestActions = ['decide', 'withdraw'] as const;

/**
 * Requests with the names a reader needs: person, position and what it grants (job roles,
 * activities, clinical systems, named), who raised, holds and decided; and what the caller
 * may do to each now (`actions`), by the same rules the decision and withdrawal enforce.
 * `where` is a condition on access_requests alone: the page is cut from that table first
 * (access_requests_inbox_idx), and only its rows are joined to the names.
 */
export async function selectRequests(ctx: ServiceContext, where: SQL | undefined, limit: number) {
  const newestFirst = [desc(accessRequests.raisedAt), desc(accessRequests.id)];
  const page = ctx.db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(where)
    .orderBy(...newestFirst)
    .limit(limit);
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
    .where(inArray(accessRequests.id, page))
    .orderBy(...newestFirst);
  const now = ctx.now();
  const positionIds = [...new Set(rows.map((row) => row.r.positionId))];
  const [grants, scope, me] = await Promise.all([
    positionIds.length ? selectPositions(ctx, inArray(positions.id, positionIds)) : [],
    actorScope(ctx),
    personIdOfActor(ctx),
  ]);
  const accountId = ctx.actor?.accountId;
  return rows.map(({ r, person, position, raisedBy, claimer: c, decider: d }) => {
    const claimed = r.claimedBy && r.claimedUntil && r.claimedUntil > now && c?.username;
    const granted = grants.find((g) => g.id === position.id);
    const actions: RequestAction[] = [];
    if (r.status === 'open' && accountId) {
      // assertMayDecide and assertNotClaimedByOther, asked without throwing.
      const heldByOther = claimed && r.claimedBy !== accountId;
      if (
        scope.covers('requests:decide', r.odsCode) &&
        r.raisedBy !== accountId &&
        r.personId !== me &&
        !heldByOther
      ) {
        actions.push('decide');
      }
      if (r.raisedBy === accountId) actions.push('withdraw');
    }
    return {
      id: r.id,
      kind: r.kind,
      status: r.status,
      person: {
        id: person.id,
        userId: groupUserId(person.userId),
        name: `${person.givenName} ${person.familyName}`,
      },
      position: {
        ...position,
        jobRoles: granted?.jobRoles ?? [],
        activities: granted?.activities ?? [],
        systems: granted?.systems ?? [],
      },
      startDate: r.startDate,
      endDate: r.endDate,
      note: r.note,
      raisedBy,
      raisedAt: r.raisedAt.toISOString(),
      claim: claimed && r.claimedUntil ? { by: c, until: r.claimedUntil.toISOString() } : null,
      decidedBy: d?.username ? d : null,
      decidedAt: r.decidedAt?.toISOString() ?? null,
      decisionReason: r.decisionReason,
      actions,
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
