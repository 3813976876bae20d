import { inArray } from 'drizzle-orm';
import { accessRequests, positions } from '../../../db/schema/access.ts';
import { accountRoles, accounts } from '../../../db/schema/accounts.ts';
import type { auditEvents } from '../../../db/schema/audit.ts';
import { cards } from '../../../db/schema/cards.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { actorScope, type OrganisationScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';

type AuditRow = typeof auditEvents.$inferSelect;

/** A person an event is about: the name and user ID only when the caller may read the person. */
export interface PersonRef {
  id: string;
  name: string | null;
  userId: string | null;
}

/**
 * The records an event names, with the names the caller may read. A name the caller may
 * not read (a person outside their organisations, a workstation they do not manage) is
 * null: the id was in the event already, the name never is. No secret is ever here: the
 * trail holds none (record-audit-event.ts refuses them).
 */
export interface AuditReferences {
  actor: {
    /** The account's display name, when the caller may read the account. */
    name: string | null;
    /** The account's person, when the caller may read them. */
    personId: string | null;
    /** The name of the workstation whose reader agent acted, when the caller manages it. */
    workstationName: string | null;
  };
  person: PersonRef | null;
  position: { id: string; name: string | null; odsCode: string | null } | null;
  request: { id: string; kind: 'assign' | 'remove' | null } | null;
  organisation: { odsCode: string; name: string | null } | null;
  workstation: { id: string; name: string | null } | null;
  /** A card by serial; `readable` when it is a card of this RA whose page the caller may open. */
  card: { serial: string; readable: boolean } | null;
  account: { id: string; username: string | null; name: string | null } | null;
  /**
   * The event's details are held back: it is about a person (or their account or card) the
   * caller may not read, and the details could name them.
   */
  detailsWithheld: boolean;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const asUuid = (v: unknown): string | null =>
  typeof v === 'string' && uuidPattern.test(v) ? v : null;

/** The ids one event names, straight from its subject and summary. */
interface Named {
  personId: string | null;
  positionId: string | null;
  requestId: string | null;
  odsCode: string | null;
  workstationId: string | null;
  serial: string | null;
  accountId: string | null;
}

function namedBy(e: AuditRow): Named {
  const s = e.summary ?? {};
  const subject = (type: string) => (e.subjectType === type ? e.subjectId : null);
  return {
    personId: asUuid(subject('person')) ?? asUuid(s.personId),
    positionId: asUuid(subject('position')) ?? asUuid(s.positionId),
    requestId: asUuid(subject('request')) ?? asUuid(s.requestId),
    odsCode:
      subject('organisation') ??
      (e.subjectType === 'position' || e.subjectType === 'workstation'
        ? null
        : typeof s.odsCode === 'string' && !s.positionId
          ? s.odsCode
          : null),
    workstationId: asUuid(subject('workstation')),
    serial: subject('card'),
    accountId: asUuid(subject('account')),
  };
}

const covers = (scope: OrganisationScope, codes: Iterable<string>) =>
  scope.all || [...codes].some((c) => scope.odsCodes.has(c));

/**
 * Resolves the names behind a page of events, each by the rule that lets the caller read
 * that kind of record: a person by `people:read` in one of their organisations (or being
 * them); a position and an organisation by the catalogue permissions; a workstation by
 * `workstations:manage` there; a card by `cards:read` for its holder (or holding it); an
 * account by reading its person, or by its holding a role where the caller reads the trail.
 * A handful of queries per page, whatever its length.
 */
export async function resolveAuditReferences(
  ctx: ServiceContext,
  events: readonly AuditRow[],
): Promise<Map<number, AuditReferences>> {
  const named = new Map(events.map((e) => [e.id, namedBy(e)]));
  const all = [...named.values()];
  const ids = <K extends keyof Named>(key: K, extra: (string | null)[] = []) => [
    ...new Set([...all.map((n) => n[key]), ...extra].filter((v): v is string => !!v)),
  ];
  const scope = await actorScope(ctx);
  const may = (p: Permission) => ctx.actor?.permissions.includes(p) ?? false;
  const me = await personIdOfActor(ctx);

  // Requests, cards and accounts lead to more people and positions: read them first.
  const requestIds = ids('requestId');
  const serials = ids('serial');
  const accountIds = ids(
    'accountId',
    events.map((e) => e.actorAccountId),
  );
  const [requestRows, cardRows, accountRows, accountPeople, roleRows] = await Promise.all([
    requestIds.length
      ? ctx.db
          .select({
            id: accessRequests.id,
            kind: accessRequests.kind,
            personId: accessRequests.personId,
            positionId: accessRequests.positionId,
          })
          .from(accessRequests)
          .where(inArray(accessRequests.id, requestIds))
      : [],
    serials.length
      ? ctx.db
          .select({ serial: cards.serial, personId: cards.personId })
          .from(cards)
          .where(inArray(cards.serial, serials))
      : [],
    accountIds.length
      ? ctx.db
          .select({ id: accounts.id, username: accounts.username, name: accounts.displayName })
          .from(accounts)
          .where(inArray(accounts.id, accountIds))
      : [],
    accountIds.length
      ? ctx.db
          .select({ id: people.id, accountId: people.accountId })
          .from(people)
          .where(inArray(people.accountId, accountIds))
      : [],
    accountIds.length
      ? ctx.db
          .select({ accountId: accountRoles.accountId, odsCode: accountRoles.odsCode })
          .from(accountRoles)
          .where(inArray(accountRoles.accountId, accountIds))
      : [],
  ]);
  const requestOf = new Map(requestRows.map((r) => [r.id, r]));
  const cardOf = new Map(cardRows.map((c) => [c.serial, c]));
  const accountOf = new Map(accountRows.map((a) => [a.id, a]));
  const personOfAccount = new Map(accountPeople.map((p) => [p.accountId, p.id]));

  const personIds = ids('personId', [
    ...requestRows.map((r) => r.personId),
    ...cardRows.map((c) => c.personId),
    ...accountPeople.map((p) => p.id),
  ]);
  const positionIds = ids(
    'positionId',
    requestRows.map((r) => r.positionId),
  );
  const workstationIds = ids(
    'workstationId',
    events.map((e) => e.actorWorkstationId),
  );
  const odsCodes = ids('odsCode');
  const [personRows, personOrgRows, positionRows, workstationRows, organisationRows] =
    await Promise.all([
      personIds.length
        ? ctx.db
            .select({
              id: people.id,
              userId: people.userId,
              given: people.givenName,
              family: people.familyName,
            })
            .from(people)
            .where(inArray(people.id, personIds))
        : [],
      personIds.length
        ? ctx.db
            .select({
              personId: personOrganisations.personId,
              odsCode: personOrganisations.odsCode,
            })
            .from(personOrganisations)
            .where(inArray(personOrganisations.personId, personIds))
        : [],
      positionIds.length && may('positions:read')
        ? ctx.db
            .select({ id: positions.id, name: positions.name, odsCode: positions.odsCode })
            .from(positions)
            .where(inArray(positions.id, positionIds))
        : [],
      workstationIds.length
        ? ctx.db
            .select({ id: workstations.id, name: workstations.name, odsCode: workstations.odsCode })
            .from(workstations)
            .where(inArray(workstations.id, workstationIds))
        : [],
      odsCodes.length && may('organisations:read')
        ? ctx.db
            .select({ odsCode: organisations.odsCode, name: organisations.name })
            .from(organisations)
            .where(inArray(organisations.odsCode, odsCodes))
        : [],
    ]);

  const orgsOf = new Map<string, string[]>();
  for (const r of personOrgRows)
    orgsOf.set(r.personId, [...(orgsOf.get(r.personId) ?? []), r.odsCode]);
  const readsPeople = scope.of('people:read');
  const readablePerson = (id: string) => id === me || covers(readsPeople, orgsOf.get(id) ?? []);
  const personRow = new Map(personRows.map((p) => [p.id, p]));
  const personRef = (id: string): PersonRef => {
    const p = personRow.get(id);
    return p && readablePerson(id)
      ? { id, name: `${p.given} ${p.family}`, userId: groupUserId(p.userId) }
      : { id, name: null, userId: null };
  };
  const rolesAt = new Map<string, (string | null)[]>();
  for (const r of roleRows)
    rolesAt.set(r.accountId, [...(rolesAt.get(r.accountId) ?? []), r.odsCode]);
  const readsTrail = scope.of('audit:read');
  const readableAccount = (id: string) => {
    if (id === ctx.actor?.accountId) return true;
    const person = personOfAccount.get(id);
    if (person && readablePerson(person)) return true;
    const at = rolesAt.get(id) ?? [];
    return readsTrail.all || at.some((code) => code !== null && readsTrail.odsCodes.has(code));
  };
  const positionOf = new Map(positionRows.map((p) => [p.id, p]));
  const manages = scope.of('workstations:manage');
  const workstationOf = new Map(workstationRows.map((w) => [w.id, w]));
  const workstationName = (id: string | null) => {
    const w = id ? workstationOf.get(id) : undefined;
    return w && covers(manages, [w.odsCode]) ? w.name : null;
  };
  const organisationOf = new Map(organisationRows.map((o) => [o.odsCode, o.name]));
  const readsCards = scope.of('cards:read');

  const result = new Map<number, AuditReferences>();
  for (const e of events) {
    const n = named.get(e.id) as Named; // every event was named above
    const request = n.requestId ? requestOf.get(n.requestId) : undefined;
    const card = n.serial ? cardOf.get(n.serial) : undefined;
    const personId =
      n.personId ??
      request?.personId ??
      card?.personId ??
      (n.accountId ? personOfAccount.get(n.accountId) : undefined) ??
      null;
    const positionId = n.positionId ?? request?.positionId ?? null;
    const person = personId ? personRef(personId) : null;
    const position = positionId ? positionOf.get(positionId) : undefined;
    const account = n.accountId ? accountOf.get(n.accountId) : undefined;
    const accountReadable = !!n.accountId && readableAccount(n.accountId);
    const actorId = e.actorAccountId;
    const actorReadable = !!actorId && readableAccount(actorId);
    const actorPerson = actorId ? personOfAccount.get(actorId) : undefined;
    const holder = card?.personId ?? null;
    result.set(e.id, {
      actor: {
        name: actorReadable && actorId ? (accountOf.get(actorId)?.name ?? null) : null,
        personId: actorPerson && readablePerson(actorPerson) ? actorPerson : null,
        workstationName: workstationName(e.actorWorkstationId),
      },
      person,
      position: positionId
        ? { id: positionId, name: position?.name ?? null, odsCode: position?.odsCode ?? null }
        : null,
      request: n.requestId ? { id: n.requestId, kind: request?.kind ?? null } : null,
      organisation: n.odsCode
        ? { odsCode: n.odsCode, name: organisationOf.get(n.odsCode) ?? null }
        : null,
      workstation: n.workstationId
        ? { id: n.workstationId, name: workstationName(n.workstationId) }
        : null,
      card: n.serial
        ? {
            serial: n.serial,
            readable: !!holder && (holder === me || covers(readsCards, orgsOf.get(holder) ?? [])),
          }
        : null,
      account: n.accountId
        ? {
            id: n.accountId,
            username: accountReadable ? (account?.username ?? null) : null,
            name: accountReadable ? (account?.name ?? null) : null,
          }
        : null,
      detailsWithheld:
        (person !== null && person.name === null) || (!!n.accountId && !accountReadable),
    });
  }
  return result;
}
