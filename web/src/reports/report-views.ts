import { html, type TemplateResult } from 'lit';
import type { Schemas } from '../api/client.ts';
import type { ReportChartConfig } from '../components/ra-report-chart.ts';
import { date, statusLabel, systemLabels } from '../format.ts';

/**
 * What the page shows of one report: its chart, named for a screen reader, and its table. A
 * report with nothing to chart (every figure 0) has no chart, only words saying so: an empty
 * 0–1 axis says nothing.
 */
export interface ReportView {
  chart: ReportChartConfig | null;
  chartLabel: string;
  /** Said in place of the chart when there is none, unless the table already says it. */
  nothingToChart?: string;
  /**
   * A `table.stack`, each cell labelled by its column (`data-label`): on a phone each row
   * becomes a block, its figures (`num`) and short words (`short`) sharing lines.
   */
  table: TemplateResult;
  /** A line under the table, when the table holds less than the download. */
  note?: string;
}

// NHS identity colours, dark enough on white for bars and lines.
const blue = '#005eb8';
const darkBlue = '#003087';
const green = '#007f3b';
const red = '#d5281b';
const amber = '#ffb81c';
const grey = '#768692';
const purple = '#330072';
const pink = '#ae2573';

const stateColours: Record<string, string> = {
  in_stock: grey,
  issued_locked: amber,
  active: green,
  blocked: red,
  suspended: pink,
  cancelled: darkBlue,
  returned: purple,
  destroyed: '#425563',
};

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Nov 2026" for 2026-11. */
export const monthLabel = (month: string) =>
  `${months[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;

/** "23 Nov" for a week's Monday on a chart's axis, where the year would crowd it. */
const shortDay = (isoDate: string) => date(isoDate).replace(/ \d{4}$/, '');

/** A median wait: "Under a minute", "12 minutes", "4 hours", "1.5 hours", "3.2 days". */
export function waitLabel(hours: number | null): string {
  if (hours === null) return 'No decisions';
  if (hours < 1) {
    if (hours * 60 < 1) return 'Under a minute';
    const minutes = Math.round(hours * 60);
    return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  }
  if (hours < 48) {
    // The report gives hundredths of an hour; a tenth is enough to read.
    const shown = Math.round(hours * 10) / 10;
    return `${shown.toLocaleString('en-GB')} ${shown === 1 ? 'hour' : 'hours'}`;
  }
  return `${(Math.round((hours / 24) * 10) / 10).toLocaleString('en-GB')} days`;
}

const n = (value: number) => value.toLocaleString('en-GB');

const axes = (stacked = false) => ({
  x: { stacked, ticks: { autoSkip: true, maxRotation: 0 } },
  y: { stacked, beginAtZero: true, ticks: { precision: 0 } },
});

/**
 * One bar a week in one colour, each under its Monday, with no legend (the chart's name says
 * what the bars count): the chart of the reports that count by week.
 */
function weeklyBars<W extends { weekStarting: string }>(
  weeks: readonly W[],
  label: string,
  value: (week: W) => number,
  colour: string,
): ReportChartConfig {
  return {
    type: 'bar',
    data: {
      labels: weeks.map((w) => shortDay(w.weekStarting)),
      datasets: [{ label, data: weeks.map(value), backgroundColor: colour }],
    },
    options: { scales: axes(), plugins: { legend: { display: false } } },
  };
}

export function cardsView(report: Schemas['CardsByStateReport']): ReportView {
  const organisations = [...new Set(report.rows.map((r) => r.odsCode))];
  const states = [...new Set(report.rows.map((r) => r.state))];
  const sum = (odsCode: string, state: string) =>
    report.rows
      .filter((r) => r.odsCode === odsCode && r.state === state)
      .reduce((total, r) => total + r.cards, 0);
  return {
    chart: !report.rows.length
      ? null
      : {
          type: 'bar',
          data: {
            labels: organisations,
            datasets: states.map((state) => ({
              label: statusLabel(state),
              data: organisations.map((o) => sum(o, state)),
              backgroundColor: stateColours[state] ?? grey,
            })),
          },
          options: { scales: axes(true) },
        },
    chartLabel: `Bar chart of cards in each state, stacked, for each of ${organisations.length} organisations. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-cards-by-state">
      <caption class="visually-hidden">Cards by organisation, state and type</caption>
      <thead><tr><th scope="col">Organisation</th><th scope="col">State</th><th scope="col">Type</th><th scope="col" class="num">Cards</th></tr></thead>
      <tbody>${
        report.rows.length
          ? report.rows.map(
              (r) => html`<tr>
                <td data-label="Organisation">${r.organisation} (${r.odsCode})</td>
                <td data-label="State" class="short">${statusLabel(r.state)}</td>
                <td data-label="Type" class="short">${r.cardType}</td>
                <td data-label="Cards" class="num">${n(r.cards)}</td></tr>`,
            )
          : html`<tr><td colspan="4">No cards.</td></tr>`
      }</tbody></table>`,
  };
}

export function expiringView(report: Schemas['ExpiringByWeekReport']): ReportView {
  return {
    ...(report.weeks.some((w) => w.cards)
      ? { chart: weeklyBars(report.weeks, 'Cards expiring', (w) => w.cards, amber) }
      : { chart: null, nothingToChart: 'No card’s certificate expires in these weeks.' }),
    chartLabel: `Bar chart of cards whose certificates expire in each of ${report.weeks.length} weeks from ${date(report.period.from)} to ${date(report.period.to)}. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-expiring-by-week">
      <caption class="visually-hidden">Cards whose certificates expire, by week</caption>
      <thead><tr><th scope="col">Week starting</th><th scope="col" class="num">Cards expiring</th></tr></thead>
      <tbody>${report.weeks.map(
        (w) => html`<tr><td data-label="Week starting">${date(w.weekStarting)}</td>
          <td data-label="Cards expiring" class="num">${n(w.cards)}</td></tr>`,
      )}</tbody></table>`,
  };
}

/**
 * The unit of the median wait's axis, from the figures: a chart of decisions taken within the
 * minute would read 0.001–0.010 in hours. Minutes when every median is under 2 hours, days
 * when one is over 48, hours between; `perHour` turns hours into the unit.
 */
export function waitAxisUnit(medianHours: readonly (number | null)[]): {
  unit: 'minutes' | 'hours' | 'days';
  perHour: number;
} {
  const longest = Math.max(0, ...medianHours.filter((h): h is number => h !== null));
  if (longest < 2) return { unit: 'minutes', perHour: 60 };
  if (longest > 48) return { unit: 'days', perHour: 1 / 24 };
  return { unit: 'hours', perHour: 1 };
}

export function requestsView(report: Schemas['RequestsByMonthReport']): ReportView {
  const any = report.months.some((m) => m.raised || m.decided);
  const wait = waitAxisUnit(report.months.map((m) => m.medianHoursToDecision));
  const Unit = wait.unit.charAt(0).toUpperCase() + wait.unit.slice(1);
  return {
    ...(any ? {} : { nothingToChart: 'No request was raised or decided in these months.' }),
    chart: !any
      ? null
      : {
          type: 'bar',
          data: {
            labels: report.months.map((m) => monthLabel(m.month)),
            datasets: [
              // Bars drawn under the line (a higher order is drawn first), so no point hides.
              {
                label: 'Raised',
                data: report.months.map((m) => m.raised),
                backgroundColor: blue,
                pointStyle: 'rect',
                order: 1,
              },
              {
                label: 'Decided',
                data: report.months.map((m) => m.decided),
                backgroundColor: green,
                pointStyle: 'rect',
                order: 1,
              },
              {
                type: 'line',
                label: `Median ${wait.unit} to a decision`,
                data: report.months.map((m) =>
                  m.medianHoursToDecision === null
                    ? null
                    : Math.round(m.medianHoursToDecision * wait.perHour * 10) / 10,
                ),
                borderColor: red,
                backgroundColor: red,
                borderWidth: 2,
                pointRadius: 5,
                pointHoverRadius: 7,
                pointBorderColor: '#ffffff',
                pointBorderWidth: 2,
                yAxisID: 'wait',
                spanGaps: true,
                order: 0,
              },
            ],
          },
          options: {
            scales: {
              ...axes(),
              wait: {
                position: 'right',
                beginAtZero: true,
                // Room above the longest wait, so its point does not sit on the frame.
                grace: '10%',
                title: { display: true, text: Unit },
                grid: { drawOnChartArea: false },
              },
            },
            plugins: {
              legend: {
                labels: {
                  // Bars as squares, the median as the point it is drawn with, in the
                  // datasets' own order whatever their drawing order.
                  usePointStyle: true,
                  sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
                },
              },
            },
          },
        },
    chartLabel: `Bar chart of requests raised and decided in each month from ${monthLabel(report.period.from.slice(0, 7))} to ${monthLabel(report.period.to.slice(0, 7))}, with a line of the median ${wait.unit} to a decision. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-requests-by-month">
      <caption class="visually-hidden">Requests raised and decided by month</caption>
      <thead><tr><th scope="col">Month</th><th scope="col" class="num">Raised</th><th scope="col" class="num">Decided</th>
        <th scope="col" class="num">Approved</th><th scope="col" class="num">Rejected</th><th scope="col" class="num">Withdrawn</th>
        <th scope="col">Median time to a decision</th></tr></thead>
      <tbody>${report.months.map(
        (m) => html`<tr><td data-label="Month" class="short">${monthLabel(m.month)}</td>
          <td data-label="Raised" class="num">${n(m.raised)}</td>
          <td data-label="Decided" class="num">${n(m.decided)}</td>
          <td data-label="Approved" class="num">${n(m.approved)}</td>
          <td data-label="Rejected" class="num">${n(m.rejected)}</td>
          <td data-label="Withdrawn" class="num">${n(m.withdrawn)}</td>
          <td data-label="Median time to a decision">${waitLabel(m.medianHoursToDecision)}</td></tr>`,
      )}</tbody></table>`,
  };
}

export function unlocksView(report: Schemas['UnlocksByMonthReport']): ReportView {
  const any = report.months.some((m) => m.unlocks);
  return {
    ...(any ? {} : { nothingToChart: 'No card was unlocked in these months.' }),
    chart: !any
      ? null
      : {
          type: 'bar',
          data: {
            labels: report.months.map((m) => monthLabel(m.month)),
            datasets: [
              {
                label: 'At a desk',
                data: report.months.map((m) => m.unlocks - m.selfService),
                backgroundColor: blue,
              },
              {
                label: 'By the holder',
                data: report.months.map((m) => m.selfService),
                backgroundColor: purple,
              },
            ],
          },
          options: { scales: axes(true) },
        },
    chartLabel: `Bar chart of cards unlocked in each month, at a desk and by the holder, stacked. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-unlocks-by-month">
      <caption class="visually-hidden">Cards unlocked by month</caption>
      <thead><tr><th scope="col">Month</th><th scope="col" class="num">Unlocks</th><th scope="col" class="num">By the holder</th></tr></thead>
      <tbody>${report.months.map(
        (m) => html`<tr><td data-label="Month" class="short">${monthLabel(m.month)}</td>
          <td data-label="Unlocks" class="num">${n(m.unlocks)}</td>
          <td data-label="By the holder" class="num">${n(m.selfService)}</td></tr>`,
      )}</tbody></table>`,
  };
}

export function systemsView(report: Schemas['SystemAccessReport']): ReportView {
  const any = report.systems.some((s) => s.people);
  return {
    ...(any ? {} : { nothingToChart: 'Nobody holds a position that uses a clinical system.' }),
    chart: !any
      ? null
      : {
          type: 'bar',
          data: {
            labels: report.systems.map((s) => systemLabels[s.system] ?? s.system),
            datasets: [
              { label: 'People', data: report.systems.map((s) => s.people), backgroundColor: blue },
            ],
          },
          options: {
            indexAxis: 'y',
            scales: {
              x: { beginAtZero: true, ticks: { precision: 0 } },
              y: { ticks: { autoSkip: false } },
            },
            plugins: { legend: { display: false } },
          },
        },
    chartLabel: `Bar chart of how many people can use each clinical system on ${date(report.asOf)}. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-system-access">
      <caption class="visually-hidden">People with access to each clinical system</caption>
      <thead><tr><th scope="col">System</th><th scope="col" class="num">People</th><th scope="col" class="num">Positions held</th></tr></thead>
      <tbody>${report.systems.map(
        (s) => html`<tr><td data-label="System">${systemLabels[s.system] ?? s.system}</td>
          <td data-label="People" class="num">${n(s.people)}</td>
          <td data-label="Positions held" class="num">${n(s.positions)}</td></tr>`,
      )}</tbody></table>`,
  };
}

export function endingView(report: Schemas['PositionsEndingReport']): ReportView {
  const shown = report.items.length;
  return {
    // None: the table says "No position ends in these dates."
    chart: report.total
      ? weeklyBars(report.weeks, 'Positions ending', (w) => w.assignments, darkBlue)
      : null,
    chartLabel: `Bar chart of positions ending in each week from ${date(report.period.from)} to ${date(report.period.to)}: ${n(report.total)} in all. The figures are in the table.`,
    table: html`<table class="stack" data-testid="table-positions-ending">
      <caption class="visually-hidden">Positions ending, soonest first</caption>
      <thead><tr><th scope="col">Ends</th><th scope="col">Person</th><th scope="col">User ID</th><th scope="col">Position</th><th scope="col">Organisation</th></tr></thead>
      <tbody>${
        shown
          ? report.items.map(
              (i) => html`<tr><td data-label="Ends">${date(i.endDate)}</td>
                <td data-label="Person"><a href="/people/${i.person.id}">${i.person.name}</a></td>
                <td data-label="User ID">${i.person.userId}</td>
                <td data-label="Position">${i.position.name}</td>
                <td data-label="Organisation">${i.organisation} (${i.odsCode})</td></tr>`,
            )
          : html`<tr><td colspan="5">No position ends in these dates.</td></tr>`
      }</tbody></table>`,
    ...(report.total > shown
      ? {
          note: `The first ${n(shown)} of ${n(report.total)} are listed; the CSV download has them all.`,
        }
      : {}),
  };
}
