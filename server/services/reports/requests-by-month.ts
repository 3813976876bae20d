import { and, gte, inArray, lt, sql } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import type { ReportInput } from './expiring-by-week.ts';
import {
  lastTwelveMonths,
  monthOfInstant,
  monthsOf,
  type ReportPeriod,
  reportPeriod,
} from './report-period.ts';
import { organisationCondition, reportOrganisations } from './report-scope.ts';

export interface RequestMonth {
  /** YYYY-MM */
  month: string;
  raised: number;
  /** Approved or rejected in the month (withdrawals are counted apart). */
  decided: number;
  approved: number;
  rejected: number;
  withdrawn: number;
  /** The median time from raising to deciding, of the month's decisions; null without any. */
  medianHoursToDecision: number | null;
}

/**
 * Access requests of the period's months (by default the last twelve, this one included):
 * raised in each month, and decided in each month, with the median time from raising to
 * the decision (percentile_cont over the month's decisions, in the database). A request
 * belongs to its position's organisation (`access_requests.ods_code`, as inboxes have it).
 *
 * Two grouped queries, each a range of one timestamp (access_requests_raised_idx,
 * access_requests_decided_idx); only a row a month comes back.
 */
export async function requestsByMonth(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<{ period: ReportPeriod; months: RequestMonth[] }> {
  const period = reportPeriod(input, lastTwelveMonths, 'months', ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(accessRequests.odsCode, covered);
  const raised = new Map<string, number>();
  const decided = new Map<
    string,
    { approved: number; rejected: number; withdrawn: number; median: number | null }
  >();
  if (inOrganisations !== false) {
    const raisedMonth = monthOfInstant(accessRequests.raisedAt);
    const decidedMonth = monthOfInstant(accessRequests.decidedAt);
    const [raisedRows, decidedRows] = await Promise.all([
      ctx.db
        .select({ month: raisedMonth, n: sql<number>`count(*)::int` })
        .from(accessRequests)
        .where(
          and(
            gte(accessRequests.raisedAt, period.start),
            lt(accessRequests.raisedAt, period.end),
            inOrganisations,
          ),
        )
        .groupBy(raisedMonth),
      ctx.db
        .select({
          month: decidedMonth,
          approved: sql<number>`count(*) filter (where ${accessRequests.status} = 'approved')::int`,
          rejected: sql<number>`count(*) filter (where ${accessRequests.status} = 'rejected')::int`,
          withdrawn: sql<number>`count(*) filter (where ${accessRequests.status} = 'withdrawn')::int`,
          medianSeconds: sql<
            number | null
          >`(percentile_cont(0.5) within group (order by extract(epoch from ${accessRequests.decidedAt} - ${accessRequests.raisedAt})) filter (where ${accessRequests.status} in ('approved', 'rejected')))::float8`,
        })
        .from(accessRequests)
        .where(
          and(
            gte(accessRequests.decidedAt, period.start),
            lt(accessRequests.decidedAt, period.end),
            inArray(accessRequests.status, ['approved', 'rejected', 'withdrawn']),
            inOrganisations,
          ),
        )
        .groupBy(decidedMonth),
    ]);
    for (const row of raisedRows) raised.set(row.month, row.n);
    for (const row of decidedRows) {
      decided.set(row.month, {
        approved: row.approved,
        rejected: row.rejected,
        withdrawn: row.withdrawn,
        median: row.medianSeconds === null ? null : Number(row.medianSeconds),
      });
    }
  }
  return {
    period,
    months: monthsOf(period).map((month) => {
      const d = decided.get(month);
      return {
        month,
        raised: raised.get(month) ?? 0,
        decided: (d?.approved ?? 0) + (d?.rejected ?? 0),
        approved: d?.approved ?? 0,
        rejected: d?.rejected ?? 0,
        withdrawn: d?.withdrawn ?? 0,
        medianHoursToDecision:
          d?.median === null || d?.median === undefined
            ? null
            : // To 0.01 h (36 seconds): a median of minutes is not rounded to 0 hours.
              Math.round((d.median / 3600) * 100) / 100,
      };
    }),
  };
}
