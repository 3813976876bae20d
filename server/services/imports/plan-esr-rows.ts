import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { assignments, jobRoles, positionJobRoles, positions } from '../../../db/schema/access.ts';
import { cardFlags, cards } from '../../../db/schema/cards.ts';
import type { ImportPlan } from '../../../db/schema/imports.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import type { ServiceContext } from '../context.ts';
import { displayDate, todayOf } from '../dates.ts';
import type { EsrRow } from './esr-rows.ts';
import { pgArray } from './pg-array.ts';

/** The states of a card its holder still has in hand: what a leaver is asked to return. */
export const cardsInHand = ['issued_locked', 'active', 'blocked', 'suspended'] as const;

/** What the catalogue says, read once per import (organisations, roles, positions). */
export interface EsrCatalogue {
  today: string;
  organisations: Map<string, { name: string; parent: string | null; status: string }>;
  roles: Map<string, string>;
  /** The open position that carries each `ODS/role`: the oldest, when several do. */
  positions: Map<string, { id: string; name: string }>;
  inScope: (odsCode: string) => boolean;
}

export async function readEsrCatalogue(ctx: ServiceContext): Promise<EsrCatalogue> {
  const scope = await actorScope(ctx);
  const orgs = await ctx.db
    .select({
      odsCode: organisations.odsCode,
      name: organisations.name,
      parent: organisations.parentOdsCode,
      status: organisations.status,
    })
    .from(organisations);
  const roles = await ctx.db.select().from(jobRoles);
  const carried = await ctx.db
    .select({
      id: positions.id,
      name: positions.name,
      odsCode: positions.odsCode,
      code: positionJobRoles.code,
    })
    .from(positions)
    .innerJoin(positionJobRoles, eq(positionJobRoles.positionId, positions.id))
    .where(eq(positions.status, 'active'))
    .orderBy(asc(positions.createdAt), asc(positions.id));
  const byKey = new Map<string, { id: string; name: string }>();
  for (const p of carried) {
    const key = `${p.odsCode}/${p.code}`;
    if (!byKey.has(key)) byKey.set(key, { id: p.id, name: p.name });
  }
  return {
    today: todayOf(ctx.now()),
    organisations: new Map(orgs.map((o) => [o.odsCode, o])),
    roles: new Map(roles.map((r) => [r.code, r.name])),
    positions: byKey,
    inScope: (odsCode) => scope.covers('people:import', odsCode),
  };
}

/** Whether `odsCode` is `root` or an organisation under it. */
function within(catalogue: EsrCatalogue, odsCode: string, root: string): boolean {
  for (let at: string | null = odsCode, hops = 0; at && hops < 20; hops++) {
    if (at === root) return true;
    at = catalogue.organisations.get(at)?.parent ?? null;
  }
  return false;
}

/** The person an existing record matched, and what they hold. */
interface Matched {
  id: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  email: string | null;
  status: string;
  employeeNumber: string | null;
  organisations: Set<string>;
  held: { id: string; positionId: string; odsCode: string; name: string; endDate: string | null }[];
  cards: { serial: string; flagged: boolean }[];
}

/** What a row will do: the plan, in words, and the work it stands for. */
export interface RowPlan {
  plan: ImportPlan;
  message: string;
  personId: string | null;
  /** For `create` and `change`: what to write. */
  work?: {
    position: { id: string; name: string } | null;
    /** Assignments to end (a leaver), or whose end date to set (`endDate`). */
    endAssignments: { id: string; name: string }[];
    setEndDate: { id: string; endDate: string | null } | null;
    assign: boolean;
    details: boolean;
    linkNumber: boolean;
    addOrganisation: boolean;
    returnCards: string[];
  };
}

const refuse = (message: string, personId: string | null = null): RowPlan => ({
  plan: 'refuse',
  message,
  personId,
});

/**
 * A refused plan as the row shows it: its message names the line, as a row refused for its
 * own fields does (`Line 5: no organisation has ODS code ZZZ99.`).
 */
export function refusedOn(line: number, plan: RowPlan): RowPlan {
  // Mid-sentence after the line, as a row refused for its own fields reads ("Line 5: the
  // date of birth …"); a message that starts with a code ("RXX is …") keeps it.
  const message = /^[A-Z][a-z]/.test(plan.message)
    ? plan.message.charAt(0).toLowerCase() + plan.message.slice(1)
    : plan.message;
  return { ...plan, message: `Line ${line}: ${message}` };
}

/**
 * Plans a chunk of checked rows against the records as they are now: one query for the
 * people by employee number, one by name and date of birth for those not yet linked, and
 * one each for what they hold. The dry run and every applied batch plan the same way, so
 * a batch applied after others changed the records does what is right then.
 */
export async function planEsrRows(
  ctx: ServiceContext,
  catalogue: EsrCatalogue,
  rows: EsrRow[],
): Promise<RowPlan[]> {
  const matched = await matchPeople(ctx, rows);
  return rows.map((row) => planRow(catalogue, row, matched.get(row.employeeNumber)));
}

/**
 * What is wrong with a row's codes against the catalogue, each as a clause, all of them (an
 * unknown or other organisation's ODS code and an unknown job role both): a null code, one
 * not written as a code, is the row's own field problem and is not checked here.
 */
export function catalogueProblems(
  catalogue: EsrCatalogue,
  codes: { odsCode: string | null; roleCode: string | null },
): string[] {
  const problems: string[] = [];
  const { odsCode, roleCode } = codes;
  if (odsCode !== null) {
    if (!catalogue.organisations.has(odsCode)) {
      problems.push(`no organisation has ODS code ${odsCode}`);
    } else if (!catalogue.inScope(odsCode)) {
      problems.push(`${odsCode} is not one of your organisations: you cannot import its staff`);
    }
  }
  if (roleCode !== null && !catalogue.roles.has(roleCode)) {
    problems.push(`the job role code ${roleCode} is not in the national RBAC catalogue`);
  }
  return problems;
}

/** Clauses as one sentence: the first capitalised, joined by semicolons, a full stop. */
const asSentence = (clauses: string[]) => {
  const text = clauses.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
};

function planRow(
  catalogue: EsrCatalogue,
  row: EsrRow,
  found: Matched | Matched[] | undefined,
): RowPlan {
  const unknown = catalogueProblems(catalogue, row);
  if (unknown.length) return refuse(asSentence(unknown));
  const org = catalogue.organisations.get(row.odsCode);
  const roleName = catalogue.roles.get(row.roleCode);
  if (!org || !roleName) throw new Error('a code the catalogue checked is missing');
  if (Array.isArray(found)) {
    return refuse(
      `${found.length} people on record share this name and date of birth and have no employee number: link the right one by hand first.`,
    );
  }
  const leaver = row.endDate !== null && row.endDate < catalogue.today;
  const name = `${row.givenName} ${row.familyName}`;
  if (leaver) {
    if (!found) {
      return {
        plan: 'unchanged',
        message: `Left on ${displayDate(row.endDate ?? '')}, and not on record: nothing to do.`,
        personId: null,
      };
    }
    const ending = found.held.filter((h) => within(catalogue, h.odsCode, row.odsCode));
    const returning = found.cards.filter((c) => !c.flagged).map((c) => c.serial);
    if (!ending.length && !returning.length) {
      return {
        plan: 'unchanged',
        message: `Left on ${displayDate(row.endDate ?? '')}: nothing left open.`,
        personId: found.id,
      };
    }
    const words = [
      ending.length ? `end ${ending.map((h) => `"${h.name}"`).join(', ')}` : '',
      returning.length
        ? `flag ${returning.length === 1 ? 'card' : 'cards'} ${returning.join(', ')} for return`
        : '',
    ].filter(Boolean);
    return {
      plan: 'leave',
      message: `${name} left on ${displayDate(row.endDate ?? '')}: ${words.join('; ')}.`,
      personId: found.id,
      work: {
        position: null,
        endAssignments: ending.map((h) => ({ id: h.id, name: h.name })),
        setEndDate: null,
        assign: false,
        details: false,
        linkNumber: false,
        addOrganisation: false,
        returnCards: returning,
      },
    };
  }
  if (org.status !== 'active') return refuse(`The organisation ${row.odsCode} is closed.`);
  const position = catalogue.positions.get(`${row.odsCode}/${row.roleCode}`);
  if (!position) {
    return refuse(
      `No open position at ${row.odsCode} carries job role ${row.roleCode} (${roleName}): an RA manager creates one first.`,
    );
  }
  if (!found) {
    return {
      plan: 'create',
      message: `New person ${name} at ${row.odsCode}, pending their identity check; "${position.name}" is given once it is done (import the file again then).`,
      personId: null,
      work: {
        position,
        endAssignments: [],
        setEndDate: null,
        assign: false,
        details: true,
        linkNumber: true,
        addOrganisation: true,
        returnCards: [],
      },
    };
  }
  if (found.status === 'closed') {
    return refuse(
      `${found.givenName} ${found.familyName}'s record is closed: reopen it first.`,
      found.id,
    );
  }
  if (found.dateOfBirth !== row.dateOfBirth) {
    return refuse(
      `The date of birth ${displayDate(row.dateOfBirth)} differs from the record's (${displayDate(found.dateOfBirth)}): check the person's identity, then correct whichever is wrong.`,
      found.id,
    );
  }
  const changes: string[] = [];
  const details =
    found.givenName !== row.givenName ||
    found.familyName !== row.familyName ||
    (row.email !== null && found.email !== row.email);
  if (found.givenName !== row.givenName || found.familyName !== row.familyName) {
    changes.push(`name ${found.givenName} ${found.familyName} → ${name}`);
  }
  if (row.email !== null && found.email !== row.email) changes.push(`work email → ${row.email}`);
  const linkNumber = found.employeeNumber !== row.employeeNumber;
  if (linkNumber) changes.push(`employee number ${row.employeeNumber} linked to the record`);
  const addOrganisation = !found.organisations.has(row.odsCode);
  if (addOrganisation) changes.push(`works for ${row.odsCode}`);
  const held = found.held.find((h) => h.positionId === position.id);
  let assign = false;
  let setEndDate: { id: string; endDate: string | null } | null = null;
  if (held) {
    if (held.endDate !== row.endDate) {
      setEndDate = { id: held.id, endDate: row.endDate };
      changes.push(
        `"${position.name}" ${row.endDate ? `ends ${displayDate(row.endDate)}` : 'has no end date'}`,
      );
    }
  } else if (found.status === 'active') {
    assign = true;
    changes.push(`given "${position.name}"`);
  } else if (!changes.length) {
    return {
      plan: 'unchanged',
      message: `Waiting for their identity check before "${position.name}" can be given.`,
      personId: found.id,
    };
  }
  if (!changes.length) return { plan: 'unchanged', message: 'Up to date.', personId: found.id };
  return {
    plan: 'change',
    message: `${changes.join('; ')}.`,
    personId: found.id,
    work: {
      position,
      endAssignments: [],
      setEndDate,
      assign,
      details,
      linkNumber,
      addOrganisation,
      returnCards: [],
    },
  };
}

/**
 * The records the rows name, by employee number, and for numbers not on record yet, by
 * the same names and date of birth on a record with no employee number (registered by
 * hand before ESR knew them): one such record is linked, several are refused.
 */
async function matchPeople(
  ctx: ServiceContext,
  rows: EsrRow[],
): Promise<Map<string, Matched | Matched[]>> {
  const result = new Map<string, Matched | Matched[]>();
  if (!rows.length) return result;
  const columns = {
    id: people.id,
    givenName: people.givenName,
    familyName: people.familyName,
    dateOfBirth: people.dateOfBirth,
    email: people.email,
    status: people.status,
    employeeNumber: people.employeeNumber,
    familyKey: people.familyKey,
    givenKey: people.givenKey,
  };
  const byNumber = await ctx.db
    .select(columns)
    .from(people)
    // One array parameter, not one parameter a row.
    .where(
      sql`${people.employeeNumber} = any(${pgArray(rows.map((r) => r.employeeNumber))}::text[])`,
    );
  const numbered = new Map(byNumber.map((p) => [p.employeeNumber ?? '', p]));
  const unmatched = rows.filter((r) => !numbered.has(r.employeeNumber));
  const identities = unmatched.map((r) => ({
    givenKey: r.givenKey,
    familyKey: r.familyKey,
    dateOfBirth: r.dateOfBirth,
  }));
  // A join from the rows (an index lookup each), not `in (…)`, which may scan every person.
  const joined = identities.length
    ? await ctx.db
        .select(columns)
        .from(
          sql`jsonb_to_recordset(${JSON.stringify(
            identities.map((i) => ({ f: i.familyKey, g: i.givenKey, d: i.dateOfBirth })),
          )}::jsonb) as v(f text, g text, d date)`,
        )
        .innerJoin(
          people,
          sql`${people.familyKey} = v.f and ${people.givenKey} = v.g and ${people.dateOfBirth} = v.d`,
        )
        .where(isNull(people.employeeNumber))
    : [];
  // Two rows of one identity find the same person twice: once is enough.
  const byIdentity = [...new Map(joined.map((p) => [p.id, p])).values()];
  const all = [...byNumber, ...byIdentity];
  const ids = [...new Set(all.map((p) => p.id))];
  const orgs = ids.length
    ? await ctx.db
        .select()
        .from(personOrganisations)
        .where(inArray(personOrganisations.personId, ids))
    : [];
  const today = todayOf(ctx.now());
  const held = ids.length
    ? await ctx.db
        .select({
          id: assignments.id,
          personId: assignments.personId,
          positionId: assignments.positionId,
          endDate: assignments.endDate,
          odsCode: positions.odsCode,
          name: positions.name,
        })
        .from(assignments)
        .innerJoin(positions, eq(positions.id, assignments.positionId))
        .where(and(inArray(assignments.personId, ids), isHeld(today)))
    : [];
  const inHand = ids.length
    ? await ctx.db
        .select({
          personId: cards.personId,
          serial: cards.serial,
          flagged: sql<boolean>`exists (select 1 from ${cardFlags} f where f.card_serial = ${cards.serial} and f.kind = 'return_due' and f.resolved_at is null)`,
        })
        .from(cards)
        .where(and(inArray(cards.personId, ids), inArray(cards.state, [...cardsInHand])))
    : [];
  const full = new Map<string, Matched>();
  for (const p of all) {
    full.set(p.id, { ...p, organisations: new Set(), held: [], cards: [] });
  }
  for (const o of orgs) full.get(o.personId)?.organisations.add(o.odsCode);
  for (const h of held) full.get(h.personId)?.held.push(h);
  for (const c of inHand) if (c.personId) full.get(c.personId)?.cards.push(c);
  for (const p of byNumber) {
    const m = full.get(p.id);
    if (m && p.employeeNumber) result.set(p.employeeNumber, m);
  }
  unmatched.forEach((row, i) => {
    const key = identities[i];
    if (!key) return;
    const same = byIdentity
      .filter(
        (p) =>
          p.familyKey === key.familyKey &&
          p.givenKey === key.givenKey &&
          p.dateOfBirth === key.dateOfBirth,
      )
      .map((p) => full.get(p.id))
      .filter((m): m is Matched => m !== undefined);
    if (same.length === 1 && same[0]) result.set(row.employeeNumber, same[0]);
    else if (same.length > 1) result.set(row.employeeNumber, same);
  });
  return result;
}
