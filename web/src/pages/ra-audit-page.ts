import { Task, TaskStatus } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type { AuditEvent, AuditVerdict, Page } from '../api/types.ts';
import { shared } from '../styles.ts';

/** The filters the form sends; empty values are left out of the query. */
interface AuditFilters {
  action?: string;
  actor?: string;
  subjectType?: string;
  from?: string;
  to?: string;
}

/** Events per call: a screenful or two for an auditor, well under the API's limit of 200. */
const pageSize = 50;

const when = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

const problem = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/** A summary value in words: lists joined, nested objects as compact JSON. */
function summaryValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(summaryValue).join(', ');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The audit trail: newest first, filtered by action, actor, subject type and time, more
 * pages on demand, and a check that the hash chain linking every event is whole.
 */
export class RaAuditPage extends LitElement {
  static override properties = {
    filters: { state: true },
    cursor: { state: true },
    earlier: { state: true },
  };
  /** The filters last submitted. */
  declare filters: AuditFilters;
  /** The cursor of the page being shown last (null for the first page). */
  declare cursor: string | null;
  /** Events of the pages before the last one, kept while "Load more" fetches the next. */
  declare earlier: AuditEvent[];

  /** The last page, refetched whenever the filters or the cursor change. */
  private list = new Task(this, {
    args: () => [this.filters, this.cursor] as const,
    task: ([filters, cursor], { signal }) =>
      api.get<Page<AuditEvent>>(`/api/audit${query({ ...filters, cursor, limit: pageSize })}`, {
        signal,
      }),
  });

  /** The chain check, run only when asked: it reads the whole trail. */
  private verdict = new Task(this, {
    autoRun: false,
    task: (_args: [], { signal }) => api.get<AuditVerdict>('/api/audit/verify', { signal }),
  });

  static override styles = [
    shared,
    css`
      form {
        display: grid;
        grid-template-columns: repeat(5, minmax(0, 1fr)) auto;
        gap: 0 1rem;
        align-items: end;
      }
      form label {
        margin-top: 0;
      }
      input {
        width: 100%;
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
      td.when {
        white-space: nowrap;
      }
      code {
        font-family: ui-monospace, 'Cascadia Mono', Menlo, Consolas, monospace;
        font-size: 0.85rem;
      }
      ul.summary {
        list-style: none;
        margin: 0;
        padding: 0;
        font-size: 0.9rem;
      }
      ul.summary .key {
        color: var(--ra-muted);
      }
      @media (max-width: 60rem) {
        form {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
    `,
  ];

  constructor() {
    super();
    this.filters = {};
    this.cursor = null;
    this.earlier = [];
  }

  private filter(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    // datetime-local gives local wall time; the API wants an instant with its offset.
    const instant = (name: string) => (text(name) ? new Date(text(name)).toISOString() : '');
    this.earlier = [];
    this.cursor = null;
    this.filters = {
      action: text('action'),
      actor: text('actor'),
      subjectType: text('subjectType'),
      from: instant('from'),
      to: instant('to'),
    };
  }

  private clear() {
    this.earlier = [];
    this.cursor = null;
    this.filters = {};
  }

  private loadMore() {
    const page = this.list.value;
    if (!page?.nextCursor) return;
    this.earlier = [...this.earlier, ...page.items];
    this.cursor = page.nextCursor;
  }

  override render() {
    const loading = this.list.status === TaskStatus.PENDING;
    // While the next page loads, the task still holds the previous one, already in `earlier`.
    const last = loading ? undefined : this.list.value;
    const events = [...this.earlier, ...(last?.items ?? [])];
    return html`
      <h1>Audit trail</h1>
      <section class="card" aria-labelledby="filter-h">
        <h2 id="filter-h" class="visually-hidden">Filters</h2>
        <form @submit=${this.filter} @reset=${this.clear}>
          <div><label for="action">Action</label><input id="action" name="action" placeholder="e.g. auth.login" maxlength="64" /></div>
          <div><label for="actor">Who (username)</label><input id="actor" name="actor" maxlength="128" /></div>
          <div><label for="subjectType">Subject type</label><input id="subjectType" name="subjectType" placeholder="e.g. person" maxlength="64" /></div>
          <div><label for="from">From</label><input id="from" name="from" type="datetime-local" /></div>
          <div><label for="to">To</label><input id="to" name="to" type="datetime-local" /></div>
          <div class="actions">
            <button type="submit">Filter</button>
            <button type="reset" class="secondary">Clear</button>
          </div>
        </form>
      </section>
      <div class="toolbar">
        <p role="status" aria-live="polite" data-testid="event-count">${
          loading && events.length === 0
            ? 'Loading events…'
            : `Showing ${events.length} event${events.length === 1 ? '' : 's'}, newest first`
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
      <table>
        <caption class="visually-hidden">Audit events, newest first</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Summary</th></tr></thead>
        <tbody>${events.map((e) => this.renderEvent(e))}</tbody>
      </table>
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

  private renderEvent(e: AuditEvent) {
    const summary = Object.entries(e.summary);
    return html`<tr data-testid="audit-event">
      <td class="when"><time datetime=${e.occurredAt}>${when(e.occurredAt)}</time></td>
      <td>${e.actor.username ?? html`<span class="muted">system</span>`}</td>
      <td><code>${e.action}</code></td>
      <td>${e.subjectType}${
        e.subjectId
          ? html`<br /><code class="muted" title=${e.subjectId}>${e.subjectId.slice(0, 8)}</code>`
          : nothing
      }</td>
      <td>${
        summary.length
          ? html`<ul class="summary">${summary.map(
              ([key, value]) =>
                html`<li><span class="key">${key}:</span> ${summaryValue(value)}</li>`,
            )}</ul>`
          : nothing
      }</td>
    </tr>`;
  }

  private renderVerdict() {
    return this.verdict.render({
      pending: () => 'Checking every event…',
      complete: (v) =>
        v.ok
          ? html`<span class="tag green">Chain intact</span> ${v.checked} events checked`
          : html`<span class="tag red">Chain broken</span> at event ${v.firstBrokenId}: that
              event, or its link to the one before, was changed after it was written.`,
      error: (err) =>
        html`<span class="tag red">Not checked</span> ${problem(err, 'The check could not be run.')}`,
    });
  }
}
customElements.define('ra-audit-page', RaAuditPage);
