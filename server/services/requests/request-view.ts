import { and, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { accessRequests, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { people } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { selectPositions } from '../positions/position-view.ts';

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
  // The page's requests and people; the positions and accounts they name are asked apart,
  // by id, at once (one join of six tables cost more to plan, 2.3 ms, than to run).
  const rows = await ctx.db
    .select({
      r: accessRequests,
      person: {
        id: people.id,
        userId: people.userId,
        givenName: people.givenName,
        familyName: people.familyName,
      },
    })
    .from(accessRequests)
    .innerJoin(people, eq(people.id, accessRequests.personId))
    .where(inArray(accessRequests.id, page))
    .orderBy(...newestFirst);
  const now = ctx.now();
  const positionIds = [...new Set(rows.map((row) => row.r.positionId))];
  const accountIds = [
    ...new Set(
      rows.flatMap(({ r }) => [r.raisedBy, r.claimedBy, r.decidedBy].filter((id) => id !== null)),
    ),
  ];
  const [grants, named, scope, me] = await Promise.all([
    positionIds.length ? selectPositions(ctx, inArray(positions.id, positionIds)) : [],
    accountIds.length
      ? ctx.db
          .select({
            id: accounts.id,
            username: accounts.username,
            displayName: accounts.displayName,
          })
          .from(accounts)
          .where(inArray(accounts.id, accountIds))
      : [],
    actorScope(ctx),
    personIdOfActor(ctx),
  ]);
  const accountsById = new Map(
    named.map((a) => [a.id, { username: a.username, displayName: a.displayName }]),
  );
  const accountOf = (id: string | null) => (id ? accountsById.get(id) : undefined);
  const accountId = ctx.actor?.accountId;
  return rows.map(({ r, person }) => {
    const c = accountOf(r.claimedBy);
    const d = accountOf(r.decidedBy);
    const raisedBy = accountOf(r.raisedBy) ?? { username: '', displayName: '' };
    const claimed = r.claimedBy && r.claimedUntil && r.claimedUntil > now && c?.username;
    const granted = grants.find((g) => g.id === r.positionId);
    const position = {
      id: r.positionId,
      name: granted?.name ?? '',
      odsCode: granted?.odsCode ?? r.odsCode,
    };
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
