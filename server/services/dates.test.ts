import { describe, expect, it } from 'vitest';
import {
  addDays,
  addYears,
  dateTimeOf,
  daysBetween,
  daysLeftUntil,
  displayDate,
  startOfDay,
  timeOf,
  todayOf,
} from './dates.ts';

describe('todayOf', () => {
  it('is the date in London, not in UTC', () => {
    // 23:30 UTC on 1 July is 00:30 on 2 July in British Summer Time.
    expect(todayOf(new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-02');
    // In winter London is on UTC.
    expect(todayOf(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
  });
});

describe('timeOf and dateTimeOf', () => {
  it('give the time in London, on the 24-hour clock', () => {
    expect(timeOf(new Date('2026-07-01T23:45:00Z'))).toBe('00:45');
    expect(dateTimeOf(new Date('2026-07-01T23:45:00Z'))).toBe('2026-07-02 00:45');
    expect(dateTimeOf(new Date('2026-12-01T13:05:00Z'))).toBe('2026-12-01 13:05');
  });
});

describe('addDays and addYears', () => {
  it('count calendar days, across month and year ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30'); // the clocks go forward that night
  });

  it('keep the day of the month, 29 February falling back to the 28th', () => {
    expect(addYears('2026-11-25', 1)).toBe('2027-11-25');
    expect(addYears('2028-02-29', 1)).toBe('2029-02-28');
    expect(addYears('2028-02-29', 4)).toBe('2032-02-29');
  });
});

describe('daysBetween', () => {
  it('counts calendar days either way', () => {
    expect(daysBetween('2026-07-02', '2026-07-02')).toBe(0);
    expect(daysBetween('2026-07-02', '2026-07-03')).toBe(1);
    expect(daysBetween('2026-07-02', '2026-06-30')).toBe(-2);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
  });
});

describe('daysLeftUntil', () => {
  const now = new Date('2026-07-01T23:30:00Z'); // 2 July in London

  it('counts the trust’s calendar days, not 24-hour periods', () => {
    // 00:15 on 4 July in London: two days left, though under 48 hours away.
    expect(daysLeftUntil(new Date('2026-07-03T23:15:00Z'), now)).toBe(2);
    // 23:00 on 2 July in London: later today.
    expect(daysLeftUntil(new Date('2026-07-02T22:00:00Z'), now)).toBe(0);
    // Tomorrow morning is tomorrow, even when under 24 hours away.
    const morning = new Date('2026-11-25T09:00:00Z');
    expect(daysLeftUntil(new Date('2026-11-26T08:00:00Z'), morning)).toBe(1);
  });

  it('is negative once passed, even earlier the same day', () => {
    expect(daysLeftUntil(new Date('2026-07-01T23:15:00Z'), now)).toBe(-1);
    expect(daysLeftUntil(new Date('2026-06-29T12:00:00Z'), now)).toBe(-3);
  });
});

describe('startOfDay', () => {
  it('is midnight in London: 23:00 UTC the day before in summer, midnight UTC in winter', () => {
    expect(startOfDay('2026-07-02').toISOString()).toBe('2026-07-01T23:00:00.000Z');
    expect(startOfDay('2026-12-31').toISOString()).toBe('2026-12-31T00:00:00.000Z');
    // The days the clocks change begin at midnight GMT (March) and midnight BST (October).
    expect(startOfDay('2026-03-29').toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(startOfDay('2026-10-25').toISOString()).toBe('2026-10-24T23:00:00.000Z');
  });

  it('bounds the days left: an instant before the start of today + N + 1 has at most N days left', () => {
    const now = new Date('2026-07-01T12:00:00Z');
    const limit = startOfDay(addDays(todayOf(now), 8));
    expect(daysLeftUntil(new Date(limit.getTime() - 1), now)).toBe(7);
    expect(daysLeftUntil(limit, now)).toBe(8);
  });
});

describe('displayDate', () => {
  it('writes a calendar date as the pages do, "Sep" whatever the ICU version says', () => {
    expect(displayDate('2026-11-29')).toBe('29 Nov 2026');
    expect(displayDate('1984-09-03')).toBe('3 Sep 1984');
    expect(displayDate('2026-01-01')).toBe('1 Jan 2026');
  });
});
