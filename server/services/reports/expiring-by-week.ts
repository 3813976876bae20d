import { and, gte, inArray, isNull, lt, lte, type SQL, sql } from 'drizzle-orm';
import { cardExpiryTallies, cards } from '../../../db/schema/cards.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { cardsInUse } from '../cards/expiry-buckets.ts';
import { holderIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { foldedBefore } from '../dashboard/card-tallies.ts';
import {
  nextSixMonths,
  type ReportPeriod,
  reportPeriod,
  weekOfDate,
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
 * Held cards come from the dashboard's running counts by expiry day (card_expiry_tallies:
 * a few rows per organisation and day), as the period is whole days; cards with no holder
 * (rare in use) from cards_kept_idx. A period reaching back before the last week, whose days
 * the counts keep folded, is counted from the cards instead: for everyone, one range of
 * cards_state_idx per state in use; for some organisations, their people's cards by
 * cards_holder_report_idx.
 */
export async function expiringByWeek(
  ctx: ServiceContext,
  input: ReportInput,
): Promise<{ period: ReportPeriod; weeks: ExpiringWeek[] }> {
  const period = reportPeriod(input, nextSixMonths, 'weeks', ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const counts = new Map<string, number>();
  const add = (rows: { week: string; n: number }[]) => {
    for (const row of rows) counts.set(row.week, (counts.get(row.week) ?? 0) + row.n);
  };
  if (covered.all || covered.codes.length) {
    if (period.from >= foldedBefore(ctx.now())) {
      const day = cardExpiryTallies.expiresOn;
      add(
        await ctx.db
          .select({ week: weekOfDate(day), n: sql<number>`sum(${cardExpiryTallies.n})::int` })
          .from(cardExpiryTallies)
          .where(
            and(
              gte(day, period.from),
              lte(day, period.to),
              covered.all ? undefined : holderIn(cardExpiryTallies.holderOds, covered.codes),
            ),
          )
          .groupBy(weekOfDate(day)),
      );
      if (covered.all) add(await cardsExpiring(ctx, period, isNull(cards.personId)));
    } else {
      const inOrganisations = organisationCondition(personOrganisations.odsCode, covered);
      add(
        await cardsExpiring(
          ctx,
          period,
          inOrganisations ? heldInOrganisations(ctx, cards.personId, inOrganisations) : undefined,
        ),
      );
    }
  }
  return {
    period,
    weeks: weeksOf(period).map((w) => ({ weekStarting: w, cards: counts.get(w) ?? 0 })),
  };
}

/** Cards in use expiring in the period, by week, read from `cards`. */
function cardsExpiring(ctx: ServiceContext, period: ReportPeriod, which: SQL | undefined) {
  const week = weekOfInstant(cards.expiresAt);
  return ctx.db
    .select({ week, n: sql<number>`count(*)::int` })
    .from(cards)
    .where(
      and(
        inArray(cards.state, [...cardsInUse]),
        gte(cards.expiresAt, period.start),
        lt(cards.expiresAt, period.end),
        which,
      ),
    )
    .groupBy(week);
}
