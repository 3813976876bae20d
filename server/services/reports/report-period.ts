import { sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { ValidationError } from '../../errors.ts';
import { addDays, daysBetween, displayDate, startOfDay, todayOf } from '../dates.ts';

/** Dates a report covers, inclusive, on the trust's calendar, and the instants they span. */
export interface ReportPeriod {
  from: string;
  to: string;
  /** The first instant of `from` (midnight in London). */
  start: Date;
  /** The first instant after `to`. */
  end: Date;
}

/** The days a report's period may start and end on: this century. */
export const earliestReportDate = '2000-01-01';
export const latestReportDate = '2099-12-31';

/** The longest period each kind of report takes, in days: a year of weeks, five of months. */
export const longestPeriod = { weeks: 371, months: 1827, days: 366 } as const;

/** The same day `months` later (or earlier); the 31st becomes the month's last day. */
export function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

const spanWords = { weeks: 'a year (53 weeks)', months: 'five years', days: 'a year' } as const;

/**
 * The period asked for, or the default one (`defaults` of the trust's today) for what was
 * not given. A period that ends before it starts, or is longer than the report takes, is a
 * 400 naming `to`.
 */
export function reportPeriod(
  asked: { from?: string | undefined; to?: string | undefined },
  defaults: (today: string) => { from: string; to: string },
  kind: keyof typeof longestPeriod,
  now: Date,
): ReportPeriod {
  const fallback = defaults(todayOf(now));
  const from = asked.from ?? fallback.from;
  const to = asked.to ?? (asked.from ? maxDate(fallback.to, from) : fallback.to);
  for (const [field, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (day < earliestReportDate || day > latestReportDate) {
      throw ValidationError.of(
        [
          {
            field,
            message: `must be a date from ${displayDate(earliestReportDate)} to ${displayDate(latestReportDate)}`,
          },
        ],
        'this can be shown',
      );
    }
  }
  if (to < from) {
    throw ValidationError.of(
      [
        {
          field: 'to',
          message: `must be on or after the start of the period (${displayDate(from)})`,
        },
      ],
      'this can be shown',
    );
  }
  if (daysBetween(from, to) >= longestPeriod[kind]) {
    throw ValidationError.of(
      [
        {
          field: 'to',
          message: `must be within ${spanWords[kind]} of the start (${displayDate(from)})`,
        },
      ],
      'this can be shown',
    );
  }
  return { from, to, start: startOfDay(from), end: startOfDay(addDays(to, 1)) };
}

const maxDate = (a: string, b: string) => (a > b ? a : b);

/** Six months from today: the expiry report's default. */
export const nextSixMonths = (today: string) => ({ from: today, to: addMonths(today, 6) });
/** The last twelve months, this one included: the monthly reports' default. */
export const lastTwelveMonths = (today: string) => ({
  from: `${addMonths(today, -11).slice(0, 7)}-01`,
  to: today,
});
/** The next 30 days: the positions-ending report's default. */
export const nextThirtyDays = (today: string) => ({ from: today, to: addDays(today, 30) });

/** The Monday of a date's week (weeks start on Monday, as PostgreSQL's date_trunc has them). */
export function mondayOf(isoDate: string): string {
  const weekday = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return addDays(isoDate, -((weekday + 6) % 7));
}

/** Every week that a period touches, by its Monday. */
export function weeksOf(period: { from: string; to: string }): string[] {
  const weeks: string[] = [];
  for (let w = mondayOf(period.from); w <= period.to; w = addDays(w, 7)) weeks.push(w);
  return weeks;
}

/** Every month that a period touches, as YYYY-MM. */
export function monthsOf(period: { from: string; to: string }): string[] {
  const months: string[] = [];
  for (let m = `${period.from.slice(0, 7)}-01`; m <= period.to; m = addMonths(m, 1)) {
    months.push(m.slice(0, 7));
  }
  return months;
}

/** The trust's week (its Monday, YYYY-MM-DD) of an instant column, in SQL. */
export const weekOfInstant = (column: PgColumn) =>
  sql<string>`to_char(date_trunc('week', ${column} at time zone 'Europe/London'), 'YYYY-MM-DD')`;

/** The trust's month (YYYY-MM) of an instant column, in SQL. */
export const monthOfInstant = (column: PgColumn) =>
  sql<string>`to_char(${column} at time zone 'Europe/London', 'YYYY-MM')`;

/** The week (its Monday) of a calendar date column, in SQL. */
export const weekOfDate = (column: PgColumn) =>
  sql<string>`to_char(date_trunc('week', ${column}::timestamp), 'YYYY-MM-DD')`;
