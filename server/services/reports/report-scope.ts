import { asc, inArray, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { organisations } from '../../../db/schema/organisations.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError, ValidationError } from '../../errors.ts';
import { actorScope, namedScope } from '../access/actor-scope.ts';
import { descendantsOf } from '../access/organisation-tree.ts';
import type { ServiceContext } from '../context.ts';

/**
 * The organisations a report counts: every one (an RA manager whose role has no
 * organisation), or these ODS codes (possibly none, and then every figure is 0).
 */
export type ReportOrganisations = { all: true } | { all: false; codes: string[] };

/**
 * Which organisations a report covers for the caller: where their `reports:read` reaches
 * (actor-scope.ts: a trust role covers the trust and its sites, a sponsor exactly the
 * organisation sponsored), narrowed to the organisations asked for and the sites under
 * them. An ODS code no organisation has is a 400 on the `organisation` field; one outside
 * the caller's reach is a 403 saying which they may ask for (organisations are catalogue
 * records, seen by all: policy 2).
 */
export async function reportOrganisations(
  ctx: ServiceContext,
  asked: readonly string[] | undefined,
): Promise<ReportOrganisations> {
  const scope = (await actorScope(ctx)).of('reports:read');
  if (!asked?.length) {
    return scope.all ? { all: true } : { all: false, codes: [...scope.odsCodes].sort() };
  }
  const wanted = [...new Set(asked)];
  const known = new Set(
    (
      await ctx.db
        .select({ odsCode: organisations.odsCode })
        .from(organisations)
        .where(inArray(organisations.odsCode, wanted))
    ).map((o) => o.odsCode),
  );
  const unknown = wanted.flatMap((code) =>
    known.has(code)
      ? []
      : [
          {
            field: `organisation.${asked.indexOf(code)}`,
            message: `no organisation has the ODS code ${code}`,
          },
        ],
  );
  if (unknown.length) throw ValidationError.of(unknown, 'this can be shown');
  const outside = wanted.filter((code) => !scope.all && !scope.odsCodes.has(code));
  if (outside.length) {
    const yours = namedScope(scope);
    throw new ForbiddenError(
      `You see reports for ${yours.join(', ') || 'no organisation'} only, and ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among them.`,
    );
  }
  const below = await descendantsOf(ctx, wanted);
  const codes = new Set<string>();
  for (const code of wanted) {
    for (const reached of below.get(code) ?? [code]) {
      // A sponsor's reach is the organisation sponsored, not the sites under it.
      if (scope.all || scope.odsCodes.has(reached)) codes.add(reached);
    }
  }
  return { all: false, codes: [...codes].sort() };
}

/**
 * The condition that `column` (an ODS code) is one of the report's organisations: none
 * when it covers all, `false` when it covers none (the report then runs no query).
 */
export function organisationCondition(
  column: PgColumn,
  covered: ReportOrganisations,
): SQL | undefined | false {
  if (covered.all) return undefined;
  if (!covered.codes.length) return false;
  return inArray(column, covered.codes);
}

/** The organisations the caller may ask reports about, by ODS code, for the page's filter. */
export async function reportableOrganisations(ctx: ServiceContext) {
  const scope = (await actorScope(ctx)).of('reports:read');
  if (!scope.all && !scope.odsCodes.size) return [];
  return ctx.db
    .select({ odsCode: organisations.odsCode, name: organisations.name })
    .from(organisations)
    .where(scope.all ? undefined : inArray(organisations.odsCode, [...scope.odsCodes]))
    .orderBy(asc(organisations.odsCode));
}

/**
 * That `column` (a person id) is one of the people of the organisations that `inOrganisations`
 * names (a condition on person_organisations.ods_code), written `= any(array(…))`: the people
 * are found first, by person_organisations_ods_idx, and the rows read by person through an
 * index that leads with it (cards_holder_report_idx, card_jobs_unlocks_person_idx). Written
 * as a join or `in (select …)`, PostgreSQL took a trust's 1 person in 60 for a reason to scan
 * every card or unlock and discard the rest (measured at 300,000 people: 120 ms against 25).
 */
export function heldInOrganisations(
  ctx: ServiceContext,
  column: PgColumn,
  inOrganisations: SQL,
): SQL {
  const people = ctx.db
    .select({ id: personOrganisations.personId })
    .from(personOrganisations)
    .where(inOrganisations);
  return sql`${column} = any(array(${people}))`;
}
