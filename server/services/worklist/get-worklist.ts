import { and, asc, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { actorScope } from '../access/actor-scope.ts';
import { holderIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { countOpenFlags, type FlagView, listFlags } from '../flags/list-flags.ts';
import { groupUserId } from '../people/name-keys.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { inOrganisations, type RequestView, selectRequests } from '../requests/request-view.ts';

/** How many items of each section the landing page shows; the count says how many wait. */
export const worklistItems = 5;

export interface PersonWaiting {
  id: string;
  userId: string;
  name: string;
  odsCodes: string[];
  registeredAt: string;
}

/**
 * One thing that waits for the caller. A new kind of work is a new member here, a verb
 * below, and a line in `getWorklist`: the page lists sections in the order given.
 */
export type WorklistSection =
  | { kind: 'requestsToDecide'; count: number; items: RequestView[] }
  | { kind: 'identityChecks'; count: number; items: PersonWaiting[] }
  | { kind: 'cardFlags'; count: number; items: FlagView[] };

/**
 * Open requests the caller may decide now: in their organisations, and neither raised by
 * them nor for them (separation of duties), so every one listed is one they can act on.
 */
async function requestsToDecide(ctx: ServiceContext): Promise<WorklistSection> {
  const scope = (await actorScope(ctx)).of('requests:decide');
  const where: SQL[] = [eq(accessRequests.status, 'open')];
  if (!scope.all) where.push(inOrganisations(scope.odsCodes));
  if (ctx.actor) where.push(ne(accessRequests.raisedBy, ctx.actor.accountId));
  const me = await personIdOfActor(ctx);
  if (me) where.push(ne(accessRequests.personId, me));
  const [items, [counted]] = await Promise.all([
    selectRequests(ctx, and(...where), worklistItems),
    ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(accessRequests)
      .where(and(...where)),
  ]);
  return { kind: 'requestsToDecide', count: counted?.n ?? 0, items };
}

/** People registered in the caller's organisations and waiting for their identity check, oldest first. */
async function identityChecks(ctx: ServiceContext): Promise<WorklistSection> {
  const scope = (await actorScope(ctx)).of('people:register');
  const where: SQL[] = [eq(people.status, 'pending_id_check')];
  if (!scope.all) {
    if (!scope.odsCodes.size) return { kind: 'identityChecks', count: 0, items: [] };
    // Their organisations (people.org_codes, kept by a trigger): a trust's count is read off
    // people_pending_orgs_idx, with no lookup of person_organisations a person.
    where.push(holderIn(people.orgCodes, [...scope.odsCodes].sort()));
  }
  // Nobody checks their own identity.
  const me = await personIdOfActor(ctx);
  if (me) where.push(ne(people.id, me));
  const [rows, [counted]] = await Promise.all([
    ctx.db
      .select({
        id: people.id,
        userId: people.userId,
        given: people.givenName,
        family: people.familyName,
        createdAt: people.createdAt,
      })
      .from(people)
      .where(and(...where))
      .orderBy(asc(people.createdAt), asc(people.id))
      .limit(worklistItems),
    ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(people)
      .where(and(...where)),
  ]);
  const orgs = rows.length
    ? await ctx.db
        .select({ personId: personOrganisations.personId, odsCode: personOrganisations.odsCode })
        .from(personOrganisations)
        .where(
          inArray(
            personOrganisations.personId,
            rows.map((r) => r.id),
          ),
        )
    : [];
  return {
    kind: 'identityChecks',
    count: counted?.n ?? 0,
    items: rows.map((r) => ({
      id: r.id,
      userId: groupUserId(r.userId),
      name: `${r.given} ${r.family}`,
      odsCodes: orgs
        .filter((o) => o.personId === r.id)
        .map((o) => o.odsCode)
        .sort(),
      registeredAt: r.createdAt.toISOString(),
    })),
  };
}

/** Open card flags the caller may see, most urgent first (as the flags page lists them). */
async function cardFlags(ctx: ServiceContext): Promise<WorklistSection> {
  const [page, count] = await Promise.all([
    listFlags(ctx, { status: 'open', limit: worklistItems, read: 'inOrder' }),
    countOpenFlags(ctx),
  ]);
  return { kind: 'cardFlags', count, items: page.items };
}

/**
 * What waits for the caller, section by section, from their permissions: requests to decide
 * (sponsors and RA agents), people waiting for their identity check (ID checkers and RA
 * agents), open card flags (RA agents, sponsors and LSAs: each for their own organisations).
 * A card holder with no such permission gets no section. Each section counts all that waits
 * in the caller's scope and lists the first few.
 */
export async function getWorklist(ctx: ServiceContext): Promise<WorklistSection[]> {
  const may = (p: Permission) => ctx.actor?.permissions.includes(p) ?? false;
  const sections: Promise<WorklistSection>[] = [];
  if (may('requests:decide')) sections.push(requestsToDecide(ctx));
  if (may('people:register')) sections.push(identityChecks(ctx));
  if (may('cards:read')) sections.push(cardFlags(ctx));
  return Promise.all(sections);
}
