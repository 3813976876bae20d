import { and, asc, eq, gt, gte, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { people } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import type { ReportInput } from './expiring-by-week.ts';
import {
  nextThirtyDays,
  type ReportPeriod,
  reportPeriod,
  weekOfDate,
  weeksOf,
} from './report-period.ts';
import { organisationCondition, reportOrganisations } from './report-scope.ts';

export interface EndingAssignment {
  endDate: string;
  person: { id: string; name: string; userId: string };
  position: { id: string; name: string };
  odsCode: string;
  organisation: string;
}

export interface PositionsEnding {
  period: ReportPeriod;
  total: number;
  weeks: { weekStarting: string; assignments: number }[];
  /** The first of them, soonest first; the CSV download has them all. */
  items: EndingAssignment[];
}

/** How many assignments the JSON answer lists; the CSV streams every one. */
export const listedEnding = 100;

/** What the CSV reads at a time, by keyset, while it streams. */
const batchSize = 1000;

/** Assignments still held whose end date falls in the period, of the organisations' positions. */
async function endingCondition(ctx: ServiceContext, input: ReportInput) {
  const period = reportPeriod(input, nextThirtyDays, 'days', ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(positions.odsCode, covered);
  const where: SQL | undefined | false =
    inOrganisations === false
      ? false
      : and(
          isNull(assignments.endedAt),
          gte(assignments.endDate, period.from),
          lte(assignments.endDate, period.to),
          inOrganisations,
        );
  return { period, where };
}

/**
 * The first `limit` of the report's assignments, soonest first, named. The page is cut from
 * assignments and positions alone, then its people, positions and organisations are read by
 * id: joining the people first read every match's person (1,200 for a trust's month) to keep
 * 100 of them.
 */
function selectEnding(ctx: ServiceContext, where: SQL | undefined, limit: number) {
  const page = ctx.db
    .select({
      id: assignments.id,
      endDate: assignments.endDate,
      personId: assignments.personId,
      positionId: assignments.positionId,
    })
    .from(assignments)
    .innerJoin(positions, eq(positions.id, assignments.positionId))
    .where(where)
    .orderBy(asc(assignments.endDate), asc(assignments.id))
    .limit(limit)
    .as('page');
  return ctx.db
    .select({
      id: page.id,
      endDate: page.endDate,
      personId: people.id,
      given: people.givenName,
      family: people.familyName,
      userId: people.userId,
      positionId: positions.id,
      positionName: positions.name,
      odsCode: positions.odsCode,
      organisation: organisations.name,
    })
    .from(page)
    .innerJoin(positions, eq(positions.id, page.positionId))
    .innerJoin(people, eq(people.id, page.personId))
    .innerJoin(organisations, eq(organisations.odsCode, positions.odsCode))
    .orderBy(asc(page.endDate), asc(page.id));
}

type Selected = Awaited<ReturnType<typeof selectEnding>>[number];

const described = (r: Selected): EndingAssignment => ({
  endDate: r.endDate ?? '',
  person: { id: r.personId, name: `${r.given} ${r.family}`, userId: groupUserId(r.userId) },
  position: { id: r.positionId, name: r.positionName },
  odsCode: r.odsCode,
  organisation: r.organisation,
});

/**
 * Positions ending soon: assignments not ended whose end date falls in the period (by
 * default the next 30 days), of the organisations' positions (the organisation that
 * granted them), counted by week and listed soonest first.
 *
 * A range of assignments_ending_idx (end_date, for assignments not ended), grouped by week
 * in the database; the list is its first page.
 */
export async function positionsEnding(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<PositionsEnding> {
  const { period, where } = await endingCondition(ctx, input);
  const counts = new Map<string, number>();
  let items: EndingAssignment[] = [];
  if (where !== false) {
    const week = weekOfDate(assignments.endDate);
    const [byWeek, first] = await Promise.all([
      ctx.db
        .select({ week, n: sql<number>`count(*)::int` })
        .from(assignments)
        .innerJoin(positions, eq(positions.id, assignments.positionId))
        .where(where)
        .groupBy(week),
      selectEnding(ctx, where, listedEnding),
    ]);
    for (const row of byWeek) counts.set(row.week, row.n);
    items = first.map(described);
  }
  const weeks = weeksOf(period).map((w) => ({ weekStarting: w, assignments: counts.get(w) ?? 0 }));
  return { period, total: weeks.reduce((sum, w) => sum + w.assignments, 0), weeks, items };
}

/**
 * Every assignment of the report, soonest first, read a batch at a time by keyset (end
 * date, id) so a download of any length holds one batch in memory. The filters are checked
 * (and refused) before anything is read, so a refusal comes before a download starts.
 */
export async function everyPositionEnding(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<AsyncIterable<EndingAssignment>> {
  const { where } = await endingCondition(ctx, input);
  async function* batches(): AsyncGenerator<EndingAssignment> {
    if (where === false) return;
    let after: { endDate: string; id: string } | null = null;
    for (;;) {
      const keyset: SQL | undefined = after
        ? or(
            gt(assignments.endDate, after.endDate),
            and(eq(assignments.endDate, after.endDate), gt(assignments.id, after.id)),
          )
        : undefined;
      const rows = await selectEnding(ctx, and(where, keyset), batchSize);
      for (const row of rows) yield described(row);
      const last = rows.at(-1);
      if (rows.length < batchSize || !last) return;
      after = { endDate: last.endDate ?? '', id: last.id };
    }
  }
  return batches();
}
