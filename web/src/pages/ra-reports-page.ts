import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-loading.ts';
import '../components/ra-report-chart.ts';
import {
  cardsView,
  endingView,
  expiringView,
  type ReportView,
  requestsView,
  systemsView,
  unlocksView,
} from '../reports/report-views.ts';
import { navigate } from '../router.ts';
import { shared } from '../styles.ts';

type ReportName = Schemas['ReportOptions']['reports'][number];

/** The filters last applied: an organisation (with its sites) and a period, as the address has them. */
interface ReportFilters {
  organisation?: string;
  from?: string;
  to?: string;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const odsPattern = /^[A-Z0-9]{3,6}$/;

function filtersFrom(search: string): ReportFilters {
  const asked = new URLSearchParams(search);
  const organisation = asked.get('organisation');
  const from = asked.get('from');
  const to = asked.get('to');
  return {
    ...(organisation && odsPattern.test(organisation) ? { organisation } : {}),
    ...(from && dayPattern.test(from) ? { from } : {}),
    ...(to && dayPattern.test(to) ? { to } : {}),
  };
}

function queryOf(filters: ReportFilters, dated: boolean): string {
  const query = new URLSearchParams();
  if (filters.organisation) query.set('organisation', filters.organisation);
  if (dated && filters.from) query.set('from', filters.from);
  if (dated && filters.to) query.set('to', filters.to);
  const q = query.toString();
  return q ? `?${q}` : '';
}

interface Section {
  name: ReportName;
  title: string;
  hint: string;
  /** Whether the period filters it (the others are as of today). */
  dated: boolean;
}

const sections: readonly Section[] = [
  {
    name: 'expiring-by-week',
    title: 'Certificates expiring by week',
    hint: 'Cards in use (issued, active, blocked or suspended) by the week their certificates expire. Without dates: the next six months.',
    dated: true,
  },
  {
    name: 'cards-by-state',
    title: 'Cards by state, type and organisation',
    hint: 'Today. A card counts under each organisation of its holder; a card in stock or returned under the organisation that keeps it.',
    dated: false,
  },
  {
    name: 'requests-by-month',
    title: 'Requests raised and decided by month',
    hint: 'By the organisation of the position asked for, with the median time from raising a request to its decision. Without dates: the last twelve months.',
    dated: true,
  },
  {
    name: 'unlocks-by-month',
    title: 'Unlocks by month',
    hint: 'Cards unlocked at a desk or by their holder with a one-time code. Without dates: the last twelve months.',
    dated: true,
  },
  {
    name: 'system-access',
    title: 'People with access to each clinical system',
    hint: 'Today: people holding a position of the organisation that opens the system.',
    dated: false,
  },
  {
    name: 'positions-ending',
    title: 'Positions ending soon',
    hint: 'Positions still held whose end date falls in the period. Without dates: the next 30 days.',
    dated: true,
  },
];

type Loaded = PromiseSettledResult<ReportView>;

/**
 * A field problem as the server words it ("no organisation has the ODS code RXX", made to
 * follow a field's label) as a sentence of its own: a capital first letter, a full stop.
 */
const asSentence = (problem: string) => {
  const text = problem.charAt(0).toUpperCase() + problem.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
};

/**
 * Reports for RA managers (their organisations, or all) and sponsors (theirs): each a chart,
 * the same figures as a table, and a CSV download, filtered by organisation and dates.
 * Loaded on its own (with chart.js) the first time someone opens it.
 */
export class RaReportsPage extends LitElement {
  static override properties = { filters: { state: true } };
  declare filters: ReportFilters;

  static override styles = [
    shared,
    css`
      form {
        display: grid;
        grid-template-columns: minmax(0, 2fr) repeat(2, minmax(0, 1fr)) auto;
        gap: 0 1rem;
        align-items: start;
      }
      form label {
        margin-top: 0;
      }
      input,
      select {
        width: 100%;
        height: 2.6rem;
      }
      form .actions {
        margin: 1.55rem 0 0;
        flex-wrap: nowrap;
      }
      section.card h2 {
        margin-top: 0;
      }
      .num {
        text-align: right;
      }
      .download {
        margin: 0.75rem 0 0;
      }
      ra-report-chart {
        margin: 0.75rem 0 1rem;
      }
      @media (max-width: 48rem) {
        form {
          grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
        }
        form > div:first-child {
          grid-column: 1 / -1;
        }
        form .actions {
          grid-column: 1 / -1;
          margin-top: 1rem;
        }
      }
      /* On a phone a report's row is a block (the shared table.stack): its figures and short
         words two to a line where they fit, so the seven cells of a month of requests take
         four lines, not seven; a name, a week or a median wait has a line of its own. */
      @media (max-width: 40rem) {
        table.stack tr {
          display: flex;
          flex-wrap: wrap;
        }
        table.stack td {
          flex: 1 1 100%;
        }
        /* Half a line each when two fit, so the rows' second figures line up; never squeezed
           to wrap inside ("Cards expiring: 1" takes the line when it needs it). */
        table.stack td.num,
        table.stack td.short {
          flex: 1 0 40%;
          width: auto;
          min-width: max-content;
        }
        table.stack .num {
          text-align: left;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.filters = filtersFrom(window.location.search);
  }

  private options = new Task(this, {
    args: () => [] as const,
    task: (_args, { signal }) => ok(api.GET('/api/reports', { signal }), signal),
  });

  private reports = new Task(this, {
    args: () => [this.filters] as const,
    task: async ([filters], { signal }): Promise<Record<ReportName, Loaded>> => {
      const refused = filters.organisation ? await this.notYours(filters.organisation) : null;
      if (refused) {
        // Every report would be refused (403): said beside the field without asking six times.
        const reason = new ApiError(403, 'FORBIDDEN', refused);
        return Object.fromEntries(
          sections.map((s) => [s.name, { status: 'rejected', reason } satisfies Loaded]),
        ) as Record<ReportName, Loaded>;
      }
      const organisation = filters.organisation ? [filters.organisation] : undefined;
      const period = { organisation, from: filters.from, to: filters.to };
      const get = { signal };
      const loads: Record<ReportName, Promise<ReportView>> = {
        'cards-by-state': ok(
          api.GET('/api/reports/cards-by-state', { params: { query: { organisation } }, ...get }),
          signal,
        ).then(cardsView),
        'expiring-by-week': ok(
          api.GET('/api/reports/expiring-by-week', { params: { query: period }, ...get }),
          signal,
        ).then(expiringView),
        'requests-by-month': ok(
          api.GET('/api/reports/requests-by-month', { params: { query: period }, ...get }),
          signal,
        ).then(requestsView),
        'unlocks-by-month': ok(
          api.GET('/api/reports/unlocks-by-month', { params: { query: period }, ...get }),
          signal,
        ).then(unlocksView),
        'system-access': ok(
          api.GET('/api/reports/system-access', { params: { query: { organisation } }, ...get }),
          signal,
        ).then(systemsView),
        'positions-ending': ok(
          api.GET('/api/reports/positions-ending', { params: { query: period }, ...get }),
          signal,
        ).then(endingView),
      };
      const names = Object.keys(loads) as ReportName[];
      const settled = await Promise.allSettled(names.map((name) => loads[name]));
      return Object.fromEntries(names.map((name, i) => [name, settled[i]])) as Record<
        ReportName,
        Loaded
      >;
    },
  });

  /**
   * Why the reports of `chosen` cannot be shown, when it is not among the organisations the
   * person may report on (the options' list, which is where their role reaches): worded as
   * the server's refusal, which stays the guard. Null when it is theirs, or the list is
   * not to be had (then the server says).
   */
  private async notYours(chosen: string): Promise<string | null> {
    let organisations: Schemas['ReportOptions']['organisations'];
    try {
      ({ organisations } = await this.options.taskComplete);
    } catch {
      return null;
    }
    if (organisations.some((o) => o.odsCode === chosen)) return null;
    // A national role's list is every organisation: a code not in it is no organisation's.
    return organisations.length > 10
      ? `No organisation you see reports for has the ODS code ${chosen}.`
      : `You see reports for ${organisations.map((o) => o.odsCode).join(', ') || 'no organisation'} only, and ${chosen} is not among them.`;
  }

  private apply(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const value = (key: string) => String(form.get(key) ?? '').trim();
    const filters: ReportFilters = {
      ...(value('organisation') ? { organisation: value('organisation') } : {}),
      ...(value('from') ? { from: value('from') } : {}),
      ...(value('to') ? { to: value('to') } : {}),
    };
    this.filters = filters;
    navigate(`/reports${queryOf(filters, true)}`, { replace: true });
  }

  private clear() {
    this.filters = {};
    navigate('/reports', { replace: true });
  }

  /** What the server said is wrong with the dates, field by field, from any report. */
  private fieldProblems(loaded: Record<ReportName, Loaded> | undefined) {
    const problems = new Map<string, string>();
    for (const result of Object.values(loaded ?? {})) {
      if (result.status !== 'rejected' || !(result.reason instanceof ApiError)) continue;
      for (const p of result.reason.fieldProblems) {
        const field = p.field.split('.')[0] ?? p.field;
        if (!problems.has(field)) problems.set(field, p.message);
      }
    }
    return problems;
  }

  private field(id: 'from' | 'to', label: string, problems: Map<string, string>) {
    const problem = problems.get(id);
    return html`<div><label for=${id}>${label}</label>
      <input id=${id} name=${id} type="date" min="2000-01-01" max="2099-12-31" .value=${this.filters[id] ?? ''}
        aria-invalid=${problem ? 'true' : 'false'} aria-describedby=${problem ? `${id}-error` : nothing} />
      ${problem ? html`<p id="${id}-error" class="field-error">${label}: ${problem}</p>` : nothing}</div>`;
  }

  override render() {
    const loaded = this.reports.value;
    const problems = this.fieldProblems(loaded);
    const organisations = this.options.value?.organisations ?? [];
    const chosen = this.filters.organisation;
    let common = this.commonRefusal(loaded, problems);
    // An organisation the person may not see, refused by every report, is a problem with the
    // organisation asked for: said beside that field, as one that does not exist is.
    const refusedOrganisation = chosen && common && this.everyRefusal(loaded, 403);
    const orgProblem = refusedOrganisation ? common : problems.get('organisation');
    if (refusedOrganisation) common = '';
    // The address may name an organisation not among the person's: the select shows that
    // code, not "All of yours", which is not what the page shows.
    const unlisted = chosen && !organisations.some((o) => o.odsCode === chosen) ? chosen : '';
    return html`
      <h1>Reports</h1>
      <section class="card" aria-labelledby="filter-h">
        <h2 id="filter-h" class="visually-hidden">Filters</h2>
        <form novalidate @submit=${this.apply} @reset=${this.clear}>
          <div>
            <label for="organisation">Organisation</label>
            <select id="organisation" name="organisation" aria-invalid=${orgProblem ? 'true' : 'false'}
              aria-describedby=${orgProblem ? 'organisation-error' : nothing}>
              <option value="" .selected=${!chosen}>All of yours</option>
              ${unlisted ? html`<option value=${unlisted} .selected=${true}>${unlisted} (cannot be shown)</option>` : nothing}
              ${organisations.map(
                (o) =>
                  html`<option value=${o.odsCode} .selected=${chosen === o.odsCode}>${o.name} (${o.odsCode})</option>`,
              )}
            </select>
            ${orgProblem ? html`<p id="organisation-error" class="field-error" data-testid="organisation-error">${asSentence(orgProblem)}</p>` : nothing}
          </div>
          ${this.field('from', 'From', problems)}
          ${this.field('to', 'To', problems)}
          <div class="actions">
            <button type="submit">Show</button>
            <button type="reset" class="secondary">Clear</button>
          </div>
        </form>
        <p class="hint">An organisation includes its sites. The dates apply to the reports over time; each has its own period when they are empty.</p>
      </section>
      ${common ? html`<div class="message error" role="alert" data-testid="reports-problem"><p>${common}</p></div>` : nothing}
      ${sections.map((s) => this.section(s, loaded?.[s.name], problems.size > 0 || !!common || !!orgProblem))}
    `;
  }

  /**
   * One refusal every report gave (another organisation's reports, say): said once, under the
   * filters, not six times. A problem with a filter is said beside that filter instead.
   */
  private commonRefusal(
    loaded: Record<ReportName, Loaded> | undefined,
    problems: Map<string, string>,
  ) {
    if (!loaded || problems.size) return '';
    const messages = Object.values(loaded).map((r) =>
      r.status === 'rejected' && r.reason instanceof ApiError ? r.reason.message : null,
    );
    const first = messages[0];
    return first && messages.every((m) => m === first) ? first : '';
  }

  /** Whether every report was refused with this HTTP status. */
  private everyRefusal(loaded: Record<ReportName, Loaded> | undefined, status: number) {
    return Object.values(loaded ?? {}).every(
      (r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === status,
    );
  }

  /** The report's chart, or when there is nothing to chart, no empty axes: words, if the table does not say it. */
  private chart(view: ReportView) {
    if (view.chart) {
      return html`<ra-report-chart .config=${view.chart} label=${view.chartLabel}></ra-report-chart>`;
    }
    return view.nothingToChart
      ? html`<p data-testid="nothing-to-chart">${view.nothingToChart}</p>`
      : nothing;
  }

  private section(s: Section, result: Loaded | undefined, saidAbove: boolean) {
    const csv = `/api/reports/${s.name}.csv${queryOf(this.filters, s.dated)}`;
    return html`<section class="card" aria-labelledby="${s.name}-h" data-testid="report-${s.name}">
      <h2 id="${s.name}-h">${s.title}</h2>
      <p class="hint">${s.hint}</p>
      ${
        !result
          ? html`<ra-loading label="Counting…"></ra-loading>`
          : result.status === 'rejected' && saidAbove
            ? html`<p class="hint" data-testid="not-shown">Not shown: see the problem above.</p>`
            : result.status === 'rejected'
              ? html`<div class="message error" role="alert"><p>${
                  result.reason instanceof ApiError
                    ? result.reason.message
                    : 'This report could not be loaded.'
                }</p></div>`
              : html`${this.chart(result.value)}
                ${result.value.table}
                ${result.value.note ? html`<p class="hint">${result.value.note}</p>` : nothing}
                <p class="download"><a href=${csv} download data-testid="csv-${s.name}">Download CSV<span class="visually-hidden">: ${s.title}</span></a></p>`
      }
    </section>`;
  }
}
customElements.define('ra-reports-page', RaReportsPage);
