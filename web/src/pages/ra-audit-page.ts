import { Task, TaskStatus } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import {
  type AuditCategory,
  type AuditEvent,
  categoryLabels,
  detailsDisclosure,
  foldTrail,
  sentence,
  trailStyles,
} from '../audit-sentences.ts';
import '../components/ra-loading.ts';
import { count, dateTime } from '../format.ts';
import { shared } from '../styles.ts';

/** A person the trail is narrowed to; the name comes from the search, or from the events. */
interface ChosenPerson {
  id: string;
  name: string | null;
}

/** The filters last applied. Dates are whole days (yyyy-mm-dd), in the browser's time zone. */
interface AuditFilters {
  category?: AuditCategory;
  person?: ChosenPerson;
  from?: string;
  to?: string;
}

/** Events per call: a screenful or two for an auditor, well under the API's limit of 200. */
const pageSize = 50;

const problem = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** The filters an address asks for (`?category=&person=&from=&to=`), ignoring any it cannot mean. */
function filtersFrom(search: string): AuditFilters {
  const asked = new URLSearchParams(search);
  const person = asked.get('person');
  const category = asked.get('category');
  const from = asked.get('from');
  const to = asked.get('to');
  return {
    ...(category && category in categoryLabels ? { category: category as AuditCategory } : {}),
    ...(person && uuidPattern.test(person) ? { person: { id: person, name: null } } : {}),
    ...(from && dayPattern.test(from) ? { from } : {}),
    ...(to && dayPattern.test(to) ? { to } : {}),
  };
}

/** The address of a filtered view, so it can be bookmarked and Back returns to the last one. */
function addressOf(filters: AuditFilters): string {
  const query = new URLSearchParams();
  if (filters.category) query.set('category', filters.category);
  if (filters.person) query.set('person', filters.person.id);
  if (filters.from) query.set('from', filters.from);
  if (filters.to) query.set('to', filters.to);
  const q = query.toString();
  return q ? `/audit?${q}` : '/audit';
}

/**
 * The audit trail as sentences with the people's names linked: newest first, filtered by
 * category, person and dates, more pages on demand, each event's recorded facts behind
 * "Details", and a check that the hash chain linking every event is whole.
 */
export class RaAuditPage extends LitElement {
  static override properties = {
    filters: { state: true },
    cursor: { state: true },
    earlier: { state: true },
    personChoices: { state: true },
    personProblem: { state: true },
  };
  declare filters: AuditFilters;
  /** The cursor of the page being shown last (null for the first page). */
  declare cursor: string | null;
  /** Events of the pages before the last one, kept while "Load more" fetches the next. */
  declare earlier: AuditEvent[];
  /** People a typed name matched, when it matched more than one. */
  declare personChoices: Schemas['PersonSummary'][] | null;
  declare personProblem: string;

  /** The last page, refetched whenever the filters or the cursor change. */
  private list = new Task(this, {
    args: () => [this.filters, this.cursor] as const,
    task: ([filters, cursor], { signal }) =>
      ok(
        api.GET('/api/audit', {
          params: {
            query: {
              limit: pageSize,
              ...(cursor ? { cursor } : {}),
              ...(filters.category ? { category: filters.category } : {}),
              ...(filters.person ? { person: filters.person.id } : {}),
              // Whole days in the reader's time zone, as instants with their offset.
              ...(filters.from ? { from: new Date(`${filters.from}T00:00:00`).toISOString() } : {}),
              ...(filters.to ? { to: new Date(`${filters.to}T23:59:59.999`).toISOString() } : {}),
            },
          },
          signal,
        }),
        signal,
      ),
  });

  /** The chain check, run only when asked: it reads the trail since the last checkpoint. */
  private verdict = new Task(this, {
    autoRun: false,
    task: (_args: [], { signal }) => ok(api.GET('/api/audit/verify', { signal }), signal),
  });

  private searching: AbortController | null = null;

  static override styles = [
    shared,
    trailStyles,
    css`
      form {
        display: grid;
        grid-template-columns: repeat(4, minmax(0, 1fr)) auto;
        gap: 0 1rem;
        align-items: end;
      }
      form label {
        margin-top: 0;
      }
      input,
      select {
        width: 100%;
        box-sizing: border-box;
        height: 2.6rem;
      }
      form .actions {
        margin: 0;
        flex-wrap: nowrap;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem 1.5rem;
        margin-bottom: 0.75rem;
      }
      .toolbar .actions {
        margin: 0;
      }
      .choices {
        list-style: none;
        padding: 0;
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      td.when {
        width: 11rem;
      }
      @media (max-width: 60rem) {
        form {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
      @media (max-width: 40rem) {
        form {
          grid-template-columns: minmax(0, 1fr);
        }
        td.when {
          width: auto;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.filters = filtersFrom(globalThis.location?.search ?? '');
    this.cursor = null;
    this.earlier = [];
    this.personChoices = null;
    this.personProblem = '';
  }

  /** Back and Forward between filtered views: the address says which. */
  private readonly onPopState = () => {
    if (window.location.pathname !== '/audit') return;
    this.show(filtersFrom(window.location.search));
  };

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
    this.searching?.abort();
  }

  /** Shows the trail with these filters, and puts them in the address. */
  private apply(filters: AuditFilters) {
    const address = addressOf(filters);
    if (address !== window.location.pathname + window.location.search) {
      // Not a navigation: the page stays, only its address changes (and Back comes here).
      history.pushState(null, '', address);
    }
    this.show(filters);
  }

  private show(filters: AuditFilters) {
    this.earlier = [];
    this.cursor = null;
    this.personChoices = null;
    this.personProblem = '';
    this.filters = filters;
  }

  private async filter(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const field = (name: string) => String(data.get(name) ?? '').trim();
    const category = field('category') as AuditCategory | '';
    const filters: AuditFilters = {
      ...(category ? { category } : {}),
      ...(field('from') ? { from: field('from') } : {}),
      ...(field('to') ? { to: field('to') } : {}),
    };
    const typed = field('person');
    if (!typed) return this.apply(filters);
    // A name, username or user ID: the people search finds whom it means.
    this.searching?.abort();
    const searching = new AbortController();
    this.searching = searching;
    try {
      const found = await ok(
        api.GET('/api/people', {
          params: { query: { q: typed, limit: 10 } },
          signal: searching.signal,
        }),
        searching.signal,
      );
      if (found.items.length === 1 && found.items[0]) {
        const p = found.items[0];
        return this.apply({
          ...filters,
          person: { id: p.id, name: `${p.givenName} ${p.familyName}` },
        });
      }
      this.personChoices = found.items.length ? found.items : null;
      this.personProblem = found.items.length
        ? ''
        : `Nobody in your organisations is called “${typed}”. Try a family name or a 12-digit user ID.`;
      this.pendingFilters = filters;
    } catch (err) {
      if (!searching.signal.aborted)
        this.personProblem = problem(err, 'People could not be searched.');
    }
  }

  /** The other filters of the form whose person is being chosen. */
  private pendingFilters: AuditFilters = {};

  private choose(p: Schemas['PersonSummary']) {
    this.apply({
      ...this.pendingFilters,
      person: { id: p.id, name: `${p.givenName} ${p.familyName}` },
    });
  }

  private loadMore() {
    const page = this.list.value;
    if (!page?.nextCursor) return;
    this.earlier = [...this.earlier, ...page.items];
    this.cursor = page.nextCursor;
  }

  /** The chosen person's name, from the search or from the events that name them. */
  private personName(events: AuditEvent[]): string | null {
    const chosen = this.filters.person;
    if (!chosen) return null;
    if (chosen.name) return chosen.name;
    for (const e of events) {
      if (e.about.person?.id === chosen.id && e.about.person.name) return e.about.person.name;
      if (e.actor.personId === chosen.id && e.actor.name) return e.actor.name;
    }
    return null;
  }

  override render() {
    const loading = this.list.status === TaskStatus.PENDING;
    // While the next page loads, the task still holds the previous one, already in `earlier`.
    const last = loading ? undefined : this.list.value;
    const events = [...this.earlier, ...(last?.items ?? [])];
    const f = this.filters;
    return html`
      <h1>Audit trail</h1>
      <section class="card" aria-labelledby="filter-h">
        <h2 id="filter-h" class="visually-hidden">Filters</h2>
        <form novalidate @submit=${this.filter} @reset=${() => this.apply({})}>
          <div>
            <label for="category">What</label>
            <select id="category" name="category">
              <option value="" .selected=${!f.category}>Everything</option>
              ${Object.entries(categoryLabels).map(
                ([value, label]) =>
                  html`<option value=${value} .selected=${f.category === value}>${label}</option>`,
              )}
            </select>
          </div>
          <div>
            <label for="person">Person</label>
            <input id="person" name="person" maxlength="100" autocomplete="off"
              placeholder="Name or user ID"
              aria-describedby=${this.personProblem ? 'person-error' : nothing}
              aria-invalid=${this.personProblem ? 'true' : 'false'} />
          </div>
          <div><label for="from">From</label><input id="from" name="from" type="date" .value=${f.from ?? ''} /></div>
          <div><label for="to">To</label><input id="to" name="to" type="date" .value=${f.to ?? ''} /></div>
          <div class="actions">
            <button type="submit">Filter</button>
            <button type="reset" class="secondary">Clear</button>
          </div>
        </form>
        ${this.personProblem ? html`<p id="person-error" class="field-error" role="alert">${this.personProblem}</p>` : nothing}
        ${
          this.personChoices
            ? html`<fieldset>
                <legend>Which person?</legend>
                <ul class="choices">${this.personChoices.map(
                  (
                    p,
                  ) => html`<li><button type="button" class="secondary" @click=${() => this.choose(p)}>
                    ${p.givenName} ${p.familyName} (${p.odsCodes.join(', ')})</button></li>`,
                )}</ul>
              </fieldset>`
            : nothing
        }
        ${
          f.person
            ? html`<p data-testid="person-filter">Events of <a href="/people/${f.person.id}">${
                this.personName(events) ?? 'one person'
              }</a>
                <button type="button" class="secondary" @click=${() => this.apply({ ...f, person: undefined })}>Everyone</button></p>`
            : nothing
        }
      </section>
      <div class="toolbar">
        <p role="status" aria-live="polite" data-testid="event-count">${
          loading && events.length === 0
            ? html`<ra-loading label="Loading events…"></ra-loading>`
            : `Showing ${count(events.length, 'event')}, newest first`
        }</p>
        <div class="actions">
          <button type="button" class="secondary" @click=${() => this.verdict.run()}
            ?disabled=${this.verdict.status === TaskStatus.PENDING}>Verify chain</button>
          <span role="status" aria-live="polite" data-testid="verdict">${this.renderVerdict()}</span>
        </div>
      </div>
      ${
        this.list.status === TaskStatus.ERROR
          ? html`<div class="message error" role="alert">
              <p>${problem(this.list.error, 'The audit trail could not be loaded.')}</p>
              <button type="button" class="secondary" @click=${() => this.list.run()}>Try again</button>
            </div>`
          : nothing
      }
      ${
        events.length
          ? html`<table class="stack">
              <caption class="visually-hidden">Audit events, newest first</caption>
              <thead><tr><th scope="col">When</th><th scope="col">What happened</th></tr></thead>
              <tbody>${foldTrail(events).map(
                (entry) => html`<tr data-testid="audit-event" data-action=${entry.event.action}>
                  <td class="when" data-label="When"><time datetime=${entry.event.occurredAt}>${dateTime(entry.event.occurredAt)}</time>${
                    entry.since && dateTime(entry.since) !== dateTime(entry.event.occurredAt)
                      ? html`<span class="muted"> (since <time datetime=${entry.since}>${dateTime(entry.since)}</time>)</span>`
                      : nothing
                  }</td>
                  <td data-label="What happened"><span class="sentence" data-testid="sentence">${sentence(entry)}</span>
                    ${detailsDisclosure(entry)}</td>
                </tr>`,
              )}</tbody>
            </table>`
          : nothing
      }
      ${!loading && this.list.status !== TaskStatus.ERROR && events.length === 0 ? html`<p>No events match these filters.</p>` : nothing}
      ${
        last?.nextCursor || (loading && this.cursor)
          ? html`<div class="actions">
              <button type="button" class="secondary" @click=${this.loadMore} ?disabled=${loading}>
                ${loading ? 'Loading…' : 'Load more'}
              </button>
            </div>`
          : nothing
      }
    `;
  }

  private renderVerdict() {
    return this.verdict.render({
      pending: () => 'Checking the events since the last signed checkpoint…',
      complete: (v) =>
        v.ok
          ? html`<span class="tag green">Chain intact</span>: ${intactWords(v)}`
          : html`<span class="tag red">Chain broken</span> at event ${v.firstBrokenId}: that
              event, or its link to the one before, was changed after it was written.`,
      error: (err) =>
        html`<span class="tag red">Not checked</span> ${problem(err, 'The check could not be run.')}`,
    });
  }
}

/**
 * What an intact chain's check covered: the walk starts from the newest signed checkpoint,
 * which vouched for the events up to it when it was signed, so "3 events checked" alone
 * would read as the whole trail.
 */
function intactWords(v: Schemas['AuditVerdict']): string {
  if (!v.from) return `all ${count(v.checked, 'event')}, from the first, checked.`;
  const since = `since the signed checkpoint of ${dateTime(v.from.createdAt)} (event ${v.from.lastEventId})`;
  const walked =
    v.checked === 0
      ? `no event ${since} to check`
      : `${v.checked === 1 ? 'the 1 event' : `the ${v.checked} events`} ${since} checked`;
  return `${walked}; the ${count(v.from.eventCount, 'event')} up to it were checked when it was signed.`;
}
customElements.define('ra-audit-page', RaAuditPage);
