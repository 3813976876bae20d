import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import {
  addMonths,
  lastTwelveMonths,
  mondayOf,
  monthsOf,
  nextSixMonths,
  reportPeriod,
  weeksOf,
} from './report-period.ts';

describe('report periods', () => {
  it('adds months, keeping the day or the month’s last', () => {
    expect(addMonths('2026-11-25', 6)).toBe('2027-05-25');
    expect(addMonths('2026-08-31', 6)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-01-15', -11)).toBe('2025-02-15');
  });

  it('finds the Monday of a week', () => {
    expect(mondayOf('2026-11-25')).toBe('2026-11-23');
    expect(mondayOf('2026-11-23')).toBe('2026-11-23');
    expect(mondayOf('2026-11-29')).toBe('2026-11-23');
    expect(mondayOf('2027-01-01')).toBe('2026-12-28');
  });

  it('lists every week and month a period touches', () => {
    expect(weeksOf({ from: '2026-11-25', to: '2026-12-07' })).toEqual([
      '2026-11-23',
      '2026-11-30',
      '2026-12-07',
    ]);
    expect(monthsOf({ from: '2026-11-30', to: '2027-01-01' })).toEqual([
      '2026-11',
      '2026-12',
      '2027-01',
    ]);
  });

  it('defaults to the report’s own period, on the trust’s calendar', () => {
    // 23:30 UTC on 31 May is already 1 June in London.
    const now = new Date('2026-05-31T23:30:00Z');
    const ahead = reportPeriod({}, nextSixMonths, 'weeks', now);
    expect([ahead.from, ahead.to]).toEqual(['2026-06-01', '2026-12-01']);
    expect(ahead.start.toISOString()).toBe('2026-05-31T23:00:00.000Z');
    expect(ahead.end.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    const back = reportPeriod({}, lastTwelveMonths, 'months', now);
    expect([back.from, back.to]).toEqual(['2025-07-01', '2026-06-01']);
  });

  it('refuses a period that ends first, or is too long, naming `to`', () => {
    const now = new Date('2026-11-25T09:00:00Z');
    for (const asked of [
      { from: '2026-12-01', to: '2026-11-30' },
      { from: '2026-01-01', to: '2027-01-08' },
      { to: '2026-01-01' },
    ]) {
      try {
        reportPeriod(asked, nextSixMonths, 'weeks', now);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).details).toEqual([
          expect.objectContaining({ field: 'to' }),
        ]);
      }
    }
    expect(
      reportPeriod({ from: '2026-01-01', to: '2027-01-06' }, nextSixMonths, 'weeks', now).to,
    ).toBe('2027-01-06');
  });
});
