/**
 * The one clock for calendar dates. The trust works in UK time, so "today", a start or end
 * date, and the days left before a certificate expires are all counted in Europe/London,
 * whatever the server's own time zone (containers run in UTC: between midnight and 1 am in
 * summer, UTC is still on yesterday). Calendar dates are ISO `YYYY-MM-DD` strings. Code
 * that needs a date from a `Date` asks this module, never `toISOString().slice(0, 10)`.
 */
const ukDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

const ukClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

// Written out rather than left to ICU's en-GB, which says "Sept" in some versions: the
// pages write "Sep" (web/src/format.ts).
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const dayMs = 86_400_000;

/** The last instant `dateOf` was asked about, and its date: a file's rows ask about one. */
let lastDate = { at: Number.NaN, date: '' };

/** The trust's date at an instant. */
export function dateOf(instant: Date): string {
  const at = instant.getTime();
  if (at !== lastDate.at) lastDate = { at, date: ukDate.format(instant) };
  return lastDate.date;
}

/** The trust's time of day at an instant, `HH:MM`, for messages ("held until 09:45 UK time"). */
export function timeOf(instant: Date): string {
  return ukClock.format(instant);
}

/** The trust's date and time at an instant, `YYYY-MM-DD HH:MM`, for messages. */
export function dateTimeOf(instant: Date): string {
  return `${dateOf(instant)} ${timeOf(instant)}`;
}

/** A calendar date as a message says it to a person: "29 Nov 2026", as the pages write it. */
export function displayDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number);
  return `${day} ${months[(month ?? 1) - 1]} ${year}`;
}

/** Today's date for the trust, for start and end dates, expiry and "is it still held". */
export function todayOf(now: Date): string {
  return dateOf(now);
}

/** Midnight UTC of a calendar date: arithmetic on dates only, never shown as an instant. */
function utcMidnight(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`);
}

/**
 * The instant the trust's day `isoDate` begins: midnight in London, which is midnight UTC
 * in winter and 23:00 UTC the day before in summer (the clocks change at 01:00 UTC, so
 * every day has its midnight). Day-counted limits ("expires within 30 days") become
 * ranges of instants with it, which an index on the instant can serve.
 */
export function startOfDay(isoDate: string): Date {
  const utc = utcMidnight(isoDate);
  const summer = new Date(utc - 3_600_000);
  return dateOf(summer) === isoDate ? summer : new Date(utc);
}

export function addDays(isoDate: string, days: number): string {
  return new Date(utcMidnight(isoDate) + days * dayMs).toISOString().slice(0, 10);
}

/** The same day `years` later; 29 February becomes 28 February in a year without it. */
export function addYears(isoDate: string, years: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y + years, m - 1, d));
  if (target.getUTCMonth() !== m - 1) target.setUTCDate(0);
  return target.toISOString().slice(0, 10);
}

/** Calendar days from one date to another: 1 from today to tomorrow, -1 to yesterday. */
export function daysBetween(fromDate: string, toDate: string): number {
  return Math.round((utcMidnight(toDate) - utcMidnight(fromDate)) / dayMs);
}

/**
 * Days left until an instant (a certificate's expiry), as the trust's calendar counts
 * them: 0 when it falls later today, 1 tomorrow. Once passed it is negative, the days
 * since it and at least one, so one that expired this morning reads as expired, never as
 * "expires today".
 */
export function daysLeftUntil(instant: Date, now: Date): number {
  const days = daysBetween(todayOf(now), dateOf(instant));
  return instant.getTime() > now.getTime() ? days : Math.min(days, -1);
}
