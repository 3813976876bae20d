import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client.ts';
import { requestsView, waitAxisUnit } from './report-views.ts';

type Month = Schemas['RequestsByMonthReport']['months'][number];

const month = (m: string, medianHoursToDecision: number | null): Month => ({
  month: m,
  raised: 2,
  decided: medianHoursToDecision === null ? 0 : 3,
  approved: medianHoursToDecision === null ? 0 : 1,
  rejected: medianHoursToDecision === null ? 0 : 2,
  withdrawn: 0,
  medianHoursToDecision,
});

const report = (months: Month[]): Schemas['RequestsByMonthReport'] => ({
  months,
  period: { from: '2026-11-01', to: '2026-12-31' },
});

describe('waitAxisUnit', () => {
  it('chooses minutes while every median is under two hours', () => {
    expect(waitAxisUnit([0.01, null, 1.99]).unit).toBe('minutes');
    expect(waitAxisUnit([null, null]).unit).toBe('minutes');
  });

  it('chooses hours from two hours to 48, and days beyond', () => {
    expect(waitAxisUnit([0.5, 2]).unit).toBe('hours');
    expect(waitAxisUnit([48]).unit).toBe('hours');
    expect(waitAxisUnit([3, 48.5]).unit).toBe('days');
  });
});

describe('the requests chart', () => {
  const datasets = (r: Schemas['RequestsByMonthReport']) => {
    const chart = requestsView(r).chart;
    if (!chart) throw new Error('no chart');
    return { chart, sets: chart.data.datasets };
  };

  it('draws decisions within the minute in minutes, said in the legend and axis title', () => {
    const { chart, sets } = datasets(report([month('2026-11', null), month('2026-12', 0.01)]));
    const line = sets[2];
    expect(line?.label).toBe('Median minutes to a decision');
    expect(line?.data).toEqual([null, 0.6]);
    const scales = (chart.options?.scales ?? {}) as Record<string, { title?: { text?: string } }>;
    const wait = scales.wait;
    expect(wait?.title?.text).toBe('Minutes');
    expect(requestsView(report([month('2026-12', 0.01)])).chartLabel).toContain(
      'a line of the median minutes to a decision',
    );
  });

  it('draws the median as a line with points over the bars, on its own axis', () => {
    const { sets } = datasets(report([month('2026-11', 30), month('2026-12', 72)]));
    const [raised, decided, line] = sets;
    expect(line).toMatchObject({
      type: 'line',
      yAxisID: 'wait',
      label: 'Median days to a decision',
    });
    expect(line?.data).toEqual([1.3, 3]);
    // Chart.js draws a higher order first: the bars under the line.
    expect(line?.order).toBeLessThan(raised?.order ?? 0);
    expect(line?.order).toBeLessThan(decided?.order ?? 0);
    expect((line as { pointRadius?: number }).pointRadius).toBeGreaterThan(3);
  });
});
