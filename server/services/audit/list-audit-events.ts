import { and, desc, eq, gte, like, lt, lte, not, or, type SQL, sql } from 'drizzle-orm';
import { accessRequests, assignments, positions } from '../../../db/schema/access.ts';
import { accountRoles } from '../../../db/schema/accounts.ts';
import { auditEvents } from '../../../db/schema/audit.ts';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { workgroups } from '../../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';
import { type AuditCategory, auditCategories, categoryPrefixes } from './audit-categories.ts';

export interface AuditFilter {
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  /** An account id or a username. */
  actor?: string | undefined;
  action?: string | undefined;
  /** Events of one category (audit-categories.ts). */
  category?: AuditCategory | undefined;
  /**
   * Events a person took part in: done by their account, or about them, their account, a
   * request for them or a card they hold.
   */
  personId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** The previous page's `nextCursor`: return the events older than its last. */
  cursor?: string | undefined;
  limit: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The events a caller whose `audit:read` reaches only `codes` may read (DOMAIN.md: an RA
 * manager sees the audit trail of their own organisations). An event is theirs when
 *
 * 1. its **subject** is a record of one of `codes`: a person working there
 *    (person_organisations); a request, position or workstation of there (their ods_code);
 *    an organisation that is one of them (the subject id is its ODS code); a workgroup of
 *    there; an account holding a role there, or whose person works there; a card whose
 *    holder works there (cards.serial → person_organisations) or that is kept at a location
 *    of there; a card location of there; an assignment whose position
 *    is there or whose person works there; or
 * 2. its **actor** is an account holding a role in one of `codes` or whose person works
 *    there (a card holder's `staff` role names no organisation), or a workstation of one
 *    of them: so a manager sees their own staff's sign-ins, refusals and what their desks'
 *    readers reported, whatever the subject. (An account with roles in two trusts is seen
 *    acting by both.)
 *
 * Anything else (failed sign-ins by an unknown username, audit checkpoints and
 * verifications, `system` events, a subject type not named here) is for `all` scope only.
 * Each test is an `IN (subquery)` on the subject or actor, which the planner runs once per
 * query (hashed), so the keyset scan by id stays a scan of the audit table.
 */
function inScope(codes: readonly string[]): SQL {
  const ods = sql.join(
    codes.map((c) => sql`${c}`),
    sql`, `,
  );
  const peopleThere = sql`select ${personOrganisations.personId} from ${personOrganisations} where ${personOrganisations.odsCode} in (${ods})`;
  const accountsThere = sql`select ${accountRoles.accountId} from ${accountRoles} where ${accountRoles.odsCode} in (${ods})`;
  const subject = (type: string, ids: SQL) =>
    sql`(${auditEvents.subjectType} = ${type} and ${auditEvents.subjectId} in (${ids}))`;
  return sql`(${sql.join(
    [
      subject(
        'person',
        sql`select ${personOrganisations.personId}::text from ${personOrganisations} where ${personOrganisations.odsCode} in (${ods})`,
      ),
      subject(
        'request',
        sql`select ${accessRequests.id}::text from ${accessRequests} where ${accessRequests.odsCode} in (${ods})`,
      ),
      subject(
        'position',
        sql`select ${positions.id}::text from ${positions} where ${positions.odsCode} in (${ods})`,
      ),
      sql`(${auditEvents.subjectType} = 'organisation' and ${auditEvents.subjectId} in (${ods}))`,
      subject(
        'workgroup',
        sql`select ${workgroups.id}::text from ${workgroups} where ${workgroups.odsCode} in (${ods})`,
      ),
      subject(
        'workstation',
        sql`select ${workstations.id}::text from ${workstations} where ${workstations.odsCode} in (${ods})`,
      ),
      subject(
        'account',
        sql`select ${accountRoles.accountId}::text from ${accountRoles} where ${accountRoles.odsCode} in (${ods}) union select ${people.accountId}::text from ${people} where ${people.accountId} is not null and ${people.id} in (${peopleThere})`,
      ),
      subject(
        'card',
        sql`select ${cards.serial} from ${cards} where ${cards.personId} in (${peopleThere}) or ${cards.locationId} in (select ${cardLocations.id} from ${cardLocations} where ${cardLocations.odsCode} in (${ods}))`,
      ),
      subject(
        'card_location',
        sql`select ${cardLocations.id}::text from ${cardLocations} where ${cardLocations.odsCode} in (${ods})`,
      ),
      subject(
        'assignment',
        sql`select ${assignments.id}::text from ${assignments} where ${assignments.personId} in (${peopleThere}) or ${assignments.positionId} in (select ${positions.id} from ${positions} where ${positions.odsCode} in (${ods}))`,
      ),
      sql`${auditEvents.actorAccountId} in (${accountsThere})`,
      sql`${auditEvents.actorAccountId} in (select ${people.accountId} from ${people} where ${people.id} in (${peopleThere}))`,
      sql`${auditEvents.actorWorkstationId} in (select ${workstations.id} from ${workstations} where ${workstations.odsCode} in (${ods}))`,
    ],
    sql` or `,
  )})`;
}

const startsWith = (prefix: string) => like(auditEvents.action, `${prefix}.%`);

function inCategory(category: AuditCategory): SQL {
  if (category !== 'audit') return or(...categoryPrefixes[category].map(startsWith)) as SQL;
  // The trail's own category also takes any action no other category names.
  const others = auditCategories.filter((c) => c !== 'audit').flatMap((c) => categoryPrefixes[c]);
  return not(or(...others.map(startsWith)) as SQL);
}

function involving(personId: string): SQL {
  const account = sql`(select ${people.accountId} from ${people} where ${people.id} = ${personId})`;
  return or(
    and(eq(auditEvents.subjectType, 'person'), eq(auditEvents.subjectId, personId)),
    and(
      eq(auditEvents.subjectType, 'request'),
      sql`${auditEvents.subjectId} in (select ${accessRequests.id}::text from ${accessRequests} where ${accessRequests.personId} = ${personId})`,
    ),
    and(
      eq(auditEvents.subjectType, 'card'),
      sql`${auditEvents.subjectId} in (select ${cards.serial} from ${cards} where ${cards.personId} = ${personId})`,
    ),
    and(eq(auditEvents.subjectType, 'account'), sql`${auditEvents.subjectId} = ${account}::text`),
    sql`${auditEvents.actorAccountId} = ${account}`,
    sql`${auditEvents.summary}->>'personId' = ${personId}`,
  ) as SQL;
}

/**
 * Newest first, keyset-paginated by id so a page costs the same however deep it is. A
 * caller whose `audit:read` is not everywhere gets only the events of their organisations
 * (`inScope`); the filters narrow within that.
 */
export async function listAuditEvents(ctx: ServiceContext, filter: AuditFilter) {
  const where: SQL[] = [];
  const scope = (await actorScope(ctx)).of('audit:read');
  if (!scope.all) {
    if (scope.odsCodes.size === 0) return { items: [], nextCursor: null };
    where.push(inScope([...scope.odsCodes].sort()));
  }
  if (filter.subjectType) where.push(eq(auditEvents.subjectType, filter.subjectType));
  if (filter.subjectId) where.push(eq(auditEvents.subjectId, filter.subjectId));
  if (filter.action) where.push(eq(auditEvents.action, filter.action));
  if (filter.category) where.push(inCategory(filter.category));
  if (filter.personId) where.push(involving(filter.personId));
  if (filter.actor) {
    const byName = eq(auditEvents.actorUsername, filter.actor);
    where.push(
      uuidPattern.test(filter.actor)
        ? (or(eq(auditEvents.actorAccountId, filter.actor), byName) as SQL)
        : byName,
    );
  }
  if (filter.from) where.push(gte(auditEvents.occurredAt, filter.from));
  if (filter.to) where.push(lte(auditEvents.occurredAt, filter.to));
  if (filter.cursor) where.push(lt(auditEvents.id, decodeCursor(filter.cursor, ['serial'])[0]));
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: rows.length > filter.limit && last ? encodeCursor([last.id]) : null,
  };
}
