import { and, gte, inArray, lt, sql } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { cardsInUse } from '../cards/expiry-buckets.ts';
import type { ServiceContext } from '../context.ts';
import {
  nextSixMonths,
  type ReportPeriod,
  reportPeriod,
  weekOfInstant,
  weeksOf,
} from './report-period.ts';
import { heldInOrganisations, organisationCondition, reportOrganisations } from './report-scope.ts';

export interface ExpiringWeek {
  /** The week's Monday. */
  weekStarting: string;
  cards: number;
}

export interface ReportInput {
  organisation?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * Cards in use (issued, active, blocked, suspended) whose certificates expire in each week
 * of the period (by default the next six months), counted on each card's `expires_at` (the
 * earliest notAfter of its certificates in force, as the dashboard counts): one renewal a
 * card, as the RA plans them. Weeks start on Monday, on the trust's calendar; every week of
 * the period is listed, 0 included.
 *
 * For everyone, one range of cards_state_idx (state, expires_at) per state in use, grouped
 * by week; for some organisations, their people's cards by cards_holder_report_idx.
 */
export async function expiringByWeek(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<{ period: ReportPeriod; weeks: ExpiringWeek[] }> {
  const period = reportPeriod(input, nextSixMonths, 'weeks', ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(personOrganisations.odsCode, covered);
  const counts = new Map<string, number>();
  if (inOrganisations !== false) {
    const week = weekOfInstant(cards.expiresAt);
    const rows = await ctx.db
      .select({ week, n: sql<number>`count(*)::int` })
      .from(cards)
      .where(
        and(
          inArray(cards.state, [...cardsInUse]),
          gte(cards.expiresAt, period.start),
          lt(cards.expiresAt, period.end),
          inOrganisations ? heldInOrganisations(ctx, cards.personId, inOrganisations) : undefined,
        ),
      )
      .groupBy(week);
    for (const row of rows) counts.set(row.week, row.n);
  }
  return {
    period,
    weeks: weeksOf(period).map((w) => ({ weekStarting: w, cards: counts.get(w) ?? 0 })),
  };
}
