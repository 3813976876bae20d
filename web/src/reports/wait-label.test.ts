import { describe, expect, it } from 'vitest';
import { waitLabel } from './report-views.ts';

describe('waitLabel', () => {
  it('says minutes under an hour, so a quick decision is not "0 hours"', () => {
    expect(waitLabel(0)).toBe('Under a minute');
    expect(waitLabel(0.01)).toBe('Under a minute');
    expect(waitLabel(0.02)).toBe('1 minute');
    expect(waitLabel(0.2)).toBe('12 minutes');
    expect(waitLabel(0.99)).toBe('59 minutes');
  });

  it('says hours to a tenth from an hour, days from two', () => {
    expect(waitLabel(1)).toBe('1 hour');
    expect(waitLabel(1.54)).toBe('1.5 hours');
    expect(waitLabel(4)).toBe('4 hours');
    expect(waitLabel(47.9)).toBe('47.9 hours');
    expect(waitLabel(76.8)).toBe('3.2 days');
    expect(waitLabel(null)).toBe('No decisions');
  });
});
