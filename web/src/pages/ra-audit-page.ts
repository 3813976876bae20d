import { css, html, LitElement } from 'lit';
import { ApiError, api, query } from '../api/client.ts';
import { shared } from '../styles.ts';

interface AuditEvent {
  id: number;
  occurredAt: string;
  actor: { accountId: string | null; username: string | null };
  action: string;
  subjectType: string;
  subjectId: string | null;
  summary: Record<string, unknown>;
}

interface Verdict {
  ok: boolean;
  checked: number;
  firstBrokenId: number | null;
}

const when = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** The audit trail: filters, newest first, more on demand, and a check of the hash chain. */
export class RaAuditPage extends LitElement {
  static override properties = {
    events: { state: true },
    cursor: { state: true },
    error: { state: true },
    verdict: { state: true },
    busy: { state: true },
  };
  declare events: AuditEvent[];
  declare cursor: string | null;
  declare error: string;
  declare verdict: Verdict | null;
  declare busy: boolean;
  private filters: Record<string, string> = {};

  static override styles = [
    shared,
    css`
      form {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      input {
        width: 100%;
      }
      td.summary {
        font-family: ui-monospace, monospace;
        font-size: 0.85rem;
        word-break: break-word;
      }
    `,
  ];

  constructor() {
    super();
    this.events = [];
    this.cursor = null;
    this.error = '';
    this.verdict = null;
    this.busy = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load(false);
  }

  private async load(more: boolean) {
    this.busy = true;
    this.error = '';
    try {
      const page = await api.get<{ items: AuditEvent[]; nextCursor: string | null }>(
        `/api/audit${query({ ...this.filters, cursor: more ? this.cursor : undefined, limit: 50 })}`,
      );
      this.events = more ? [...this.events, ...page.items] : page.items;
      this.cursor = page.nextCursor;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The audit trail could not be loaded.';
    } finally {
      this.busy = false;
    }
  }

  private filter(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const toIso = (v: FormDataEntryValue | null) => (v ? new Date(String(v)).toISOString() : '');
    this.filters = {
      action: String(data.get('action') ?? ''),
      actor: String(data.get('actor') ?? ''),
      subjectType: String(data.get('subjectType') ?? ''),
      from: toIso(data.get('from')),
      to: toIso(data.get('to')),
    };
    void this.load(false);
  }

  private async verify() {
    this.verdict = null;
    try {
      this.verdict = await api.get<Verdict>('/api/audit/verify');
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The check could not be run.';
    }
  }

  override render() {
    return html`
      <h1>Audit trail</h1>
      <section class="card">
        <form @submit=${this.filter} aria-label="Filter the audit trail">
          <div><label for="action">Action</label><input id="action" name="action" placeholder="e.g. auth.login" /></div>
          <div><label for="actor">Who (username)</label><input id="actor" name="actor" /></div>
          <div><label for="subjectType">Subject type</label><input id="subjectType" name="subjectType" placeholder="e.g. person" /></div>
          <div><label for="from">From</label><input id="from" name="from" type="datetime-local" /></div>
          <div><label for="to">To</label><input id="to" name="to" type="datetime-local" /></div>
          <div class="actions"><button type="submit">Filter</button></div>
        </form>
      </section>
      <div class="actions">
        <button type="button" class="secondary" @click=${this.verify}>Verify chain</button>
        <span role="status" aria-live="polite" data-testid="verdict">${
          this.verdict
            ? this.verdict.ok
              ? html`<span class="tag green">Chain intact</span> ${this.verdict.checked} events checked`
              : html`<span class="tag red">Chain broken</span> at event ${this.verdict.firstBrokenId}`
            : ''
        }</span>
      </div>
      ${this.error ? html`<p class="message error" role="alert">${this.error}</p>` : ''}
      <h2 class="visually-hidden">Events</h2>
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Summary</th></tr></thead>
        <tbody>
          ${this.events.map(
            (e) => html`<tr>
              <td>${when(e.occurredAt)}</td>
              <td>${e.actor.username ?? html`<span class="muted">system</span>`}</td>
              <td>${e.action}</td>
              <td>${e.subjectType}${e.subjectId ? html`<br /><span class="muted">${e.subjectId.slice(0, 8)}</span>` : ''}</td>
              <td class="summary">${JSON.stringify(e.summary)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${!this.busy && this.events.length === 0 ? html`<p>No events match.</p>` : ''}
      ${this.cursor ? html`<div class="actions"><button type="button" class="secondary" @click=${() => this.load(true)}>Load more</button></div>` : ''}
    `;
  }
}
customElements.define('ra-audit-page', RaAuditPage);
