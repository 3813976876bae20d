import { asc, desc, eq } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import {
  identityChecks,
  identityDocuments,
  people,
  personOrganisations,
} from '../../../db/schema/people.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { assertMayViewPerson, noSuchPerson } from '../access/person-access.ts';
import { assignmentState } from '../assignments/assignment-state.ts';
import { listPersonCards } from '../cards/person-cards.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';
import { documentTypes } from './document-types.ts';
import { groupUserId } from './name-keys.ts';
import { personActions } from './person-actions.ts';
import { personIdOfActor } from './person-of-actor.ts';

/**
 * A person's assignments for a caller who may see the person (GET …/assignments): all of
 * them, or for a decider who sees the person only through their request, those held now
 * or to come.
 */
export async function listPersonAssignments(ctx: ServiceContext, personId: string) {
  const [person] = await ctx.db
    .select({ id: people.id })
    .from(people)
    .where(eq(people.id, personId));
  if (!person) throw new NotFoundError(noSuchPerson);
  const access = await assertMayViewPerson(ctx, personId);
  const all = await listAssignments(ctx, personId);
  return access === 'decider' ? all.filter(heldNowOrToCome) : all;
}

const heldNowOrToCome = (a: { state: string }) => a.state === 'active' || a.state === 'future';

/**
 * A person's assignments, current and ended, with how each stands today and what the caller
 * may do to it: `remove` one held now or later, of a position of their organisations
 * (assignments:manage), unless it is their own (removeAssignment's checks, asked here).
 */
export async function listAssignments(ctx: ServiceContext, personId: string) {
  const today = todayOf(ctx.now());
  const [rows, scope, self] = await Promise.all([
    ctx.db
      .select({ a: assignments, position: positions })
      .from(assignments)
      .innerJoin(positions, eq(positions.id, assignments.positionId))
      .where(eq(assignments.personId, personId))
      .orderBy(desc(assignments.createdAt)),
    actorScope(ctx),
    personIdOfActor(ctx),
  ]);
  const removable = (state: string, endedAt: Date | null, odsCode: string) =>
    self !== personId &&
    endedAt === null &&
    (state === 'active' || state === 'future') &&
    scope.covers('assignments:manage', odsCode);
  return rows.map(({ a, position }) => ({
    id: a.id,
    position: {
      id: position.id,
      name: position.name,
      odsCode: position.odsCode,
      systems: position.systems,
    },
    startDate: a.startDate,
    endDate: a.endDate,
    state: assignmentState(a, today),
    endedAt: a.endedAt?.toISOString() ?? null,
    endNote: a.endNote,
    requestId: a.requestId,
    actions: removable(assignmentState(a, today), a.endedAt, position.odsCode)
      ? ['remove' as const]
      : [],
  }));
}

async function organisationsOf(ctx: ServiceContext, personId: string) {
  return ctx.db
    .select({ odsCode: organisations.odsCode, name: organisations.name })
    .from(personOrganisations)
    .innerJoin(organisations, eq(organisations.odsCode, personOrganisations.odsCode))
    .where(eq(personOrganisations.personId, personId))
    .orderBy(asc(organisations.odsCode));
}

/**
 * A person as the caller may see them (GET /api/people/{id}): in full, or, for a decider
 * who sees them only as the subject of a request, what deciding needs (actor-scope.ts).
 * 404 for anyone else, as for a person who does not exist.
 */
export async function getPerson(ctx: ServiceContext, personId: string) {
  const [person] = await ctx.db.select().from(people).where(eq(people.id, personId));
  if (!person) throw new NotFoundError(noSuchPerson);
  if ((await assertMayViewPerson(ctx, personId)) !== 'decider') {
    return personInFull(ctx, person);
  }
  return {
    view: 'decider' as const,
    id: person.id,
    userId: groupUserId(person.userId),
    givenName: person.givenName,
    middleNames: person.middleNames,
    familyName: person.familyName,
    status: person.status,
    organisations: await organisationsOf(ctx, personId),
    assignments: (await listAssignments(ctx, personId)).filter(heldNowOrToCome),
  };
}

/**
 * Everything a person's page shows, except their requests (listed by the requests API), for
 * a caller who may read the person in full (themselves, or people:read in one of their
 * organisations). Their cards are listed only to callers who may read cards, and to the holder.
 */
export async function getPersonInFull(ctx: ServiceContext, personId: string) {
  const [person] = await ctx.db.select().from(people).where(eq(people.id, personId));
  if (!person) throw new NotFoundError(noSuchPerson);
  if ((await assertMayViewPerson(ctx, personId)) === 'decider') {
    throw new ForbiddenError(
      'You see this person only as the subject of a request you decide, not in full.',
    );
  }
  return personInFull(ctx, person);
}

async function personInFull(ctx: ServiceContext, person: typeof people.$inferSelect) {
  const personId = person.id;
  const orgs = await organisationsOf(ctx, personId);
  const [check] = await ctx.db
    .select({
      id: identityChecks.id,
      checkedAt: identityChecks.checkedAt,
      overrideReason: identityChecks.overrideReason,
      checkedBy: accounts.displayName,
    })
    .from(identityChecks)
    .innerJoin(accounts, eq(accounts.id, identityChecks.checkedBy))
    .where(eq(identityChecks.personId, personId))
    .orderBy(desc(identityChecks.checkedAt))
    .limit(1);
  const documents = check
    ? await ctx.db
        .select({
          type: identityDocuments.type,
          category: identityDocuments.category,
          issuingCountry: identityDocuments.issuingCountry,
          expiresOn: identityDocuments.expiresOn,
        })
        .from(identityDocuments)
        .where(eq(identityDocuments.checkId, check.id))
    : [];
  const [account] = person.accountId
    ? await ctx.db
        .select({ username: accounts.username })
        .from(accounts)
        .where(eq(accounts.id, person.accountId))
    : [];
  const assignmentList = await listAssignments(ctx, personId);
  return {
    view: 'full' as const,
    id: person.id,
    userId: groupUserId(person.userId),
    givenName: person.givenName,
    middleNames: person.middleNames,
    familyName: person.familyName,
    nameOnCard: person.nameOnCard,
    dateOfBirth: person.dateOfBirth,
    email: person.email,
    phone: person.phone,
    status: person.status,
    organisations: orgs,
    username: account?.username ?? null,
    identityCheck: check
      ? {
          checkedAt: check.checkedAt.toISOString(),
          checkedBy: check.checkedBy,
          overrideReason: check.overrideReason,
          documents: documents.map((d) => ({
            ...d,
            label: documentTypes[d.type as keyof typeof documentTypes]?.label ?? d.type,
          })),
        }
      : null,
    assignments: assignmentList,
    actions: await personActions(ctx, {
      id: person.id,
      status: person.status,
      accountId: person.accountId,
      odsCodes: orgs.map((o) => o.odsCode),
      identityChecked: check !== undefined,
      email: person.email,
    }),
    // Cards are shown to those who may read cards, and to the holder themselves.
    cards:
      ctx.actor?.permissions.includes('cards:read') ||
      (person.accountId !== null && person.accountId === ctx.actor?.accountId)
        ? await listPersonCards(ctx, personId)
        : [],
  };
}
