import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { cardJobs } from '../../../db/schema/card-jobs.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';
import type { ReportInput } from './expiring-by-week.ts';
import {
  lastTwelveMonths,
  monthOfInstant,
  monthsOf,
  type ReportPeriod,
  reportPeriod,
} from './report-period.ts';
import { heldInOrganisations, organisationCondition, reportOrganisations } from './report-scope.ts';

export interface UnlockMonth {
  /** YYYY-MM */
  month: string;
  unlocks: number;
  /** Of those, by the holder with a one-time code from their work email. */
  selfService: number;
}

/**
 * Cards unlocked in each month of the period (by default the last twelve): unlock jobs that
 * succeeded, by the month they finished, at a desk or by the holder. An unlock belongs to
 * the organisations of the card's holder, as the card does.
 *
 * For everyone, one range of card_jobs_unlocks_idx (finished_at); for some organisations,
 * their people's unlocks by card_jobs_unlocks_person_idx: either read from the index alone,
 * grouped by month.
 */
export async function unlocksByMonth(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<{ period: ReportPeriod; months: UnlockMonth[] }> {
  const period = reportPeriod(input, lastTwelveMonths, 'months', ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(personOrganisations.odsCode, covered);
  const counts = new Map<string, { unlocks: number; selfService: number }>();
  if (inOrganisations !== false) {
    const month = monthOfInstant(cardJobs.finishedAt);
    const rows = await ctx.db
      .select({
        month,
        unlocks: sql<number>`count(*)::int`,
        selfService: sql<number>`count(*) filter (where ${cardJobs.selfService})::int`,
      })
      .from(cardJobs)
      .where(
        and(
          eq(cardJobs.kind, 'unlock'),
          eq(cardJobs.state, 'succeeded'),
          gte(cardJobs.finishedAt, period.start),
          lt(cardJobs.finishedAt, period.end),
          inOrganisations
            ? heldInOrganisations(ctx, cardJobs.personId, inOrganisations)
            : undefined,
        ),
      )
      .groupBy(month);
    for (const row of rows) counts.set(row.month, row);
  }
  return {
    period,
    months: monthsOf(period).map((m) => ({
      month: m,
      unlocks: counts.get(m)?.unlocks ?? 0,
      selfService: counts.get(m)?.selfService ?? 0,
    })),
  };
}
