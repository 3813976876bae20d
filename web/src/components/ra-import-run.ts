import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { count, dateTime } from '../format.ts';
import { shared } from '../styles.ts';
import './ra-dialog.ts';
import type { RaDialog } from './ra-dialog.ts';

type Import = Schemas['Import'];
type ImportRow = Schemas['ImportRow'];
type Plan = ImportRow['plan'];

/** What each plan and outcome is called on the page. */
const planWords: Record<string, string> = {
  create: 'To create',
  change: 'To change',
  leave: 'Leaver',
  unchanged: 'Left alone',
  refuse: 'Refused',
  cancel: 'To cancel',
  created: 'Created',
  changed: 'Changed',
  left: 'Leaver done',
  refused: 'Refused',
  cancelled: 'Cancelled',
};

const countsWords = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${(planWords[k] ?? k).toLowerCase()} ${n.toLocaleString('en-GB')}`)
    .join(', ') || 'nothing';

/**
 * One import after its upload: the dry run's counts and rows (line by line, filtered by
 * plan), then Apply, a progress bar fed by the server (the import's `done` of `rowCount`,
 * polled) and the summary with each row's outcome. For an ESR file or a card list alike.
 */
export class RaImportRun extends LitElement {
  static override properties = {
    value: { attribute: false },
    current: { state: true },
    rows: { state: true },
    filter: { state: true },
    error: { state: true },
    applying: { state: true },
  };
  /** The import to show, as its upload answered (the page's; a new id starts afresh). */
  declare value: Import | null;
  /** The import as the server last told it (its progress, then its outcome). */
  declare current: Import | null;
  declare rows: ImportRow[];
  declare filter: Plan | '';
  declare error: string;
  declare applying: boolean;
  private timer: ReturnType<typeof setTimeout> | undefined;

  static override styles = [
    shared,
    css`
      progress {
        width: 100%;
        height: 1.25rem;
      }
      td.line {
        font-variant-numeric: tabular-nums;
      }
      td {
        overflow-wrap: anywhere;
      }
      /* "Refused" is one word: never broken inside. */
      td.plan {
        overflow-wrap: normal;
        white-space: nowrap;
      }
    `,
  ];

  constructor() {
    super();
    this.value = null;
    this.current = null;
    this.rows = [];
    this.filter = '';
    this.error = '';
    this.applying = false;
  }

  private get base() {
    return this.current?.kind === 'card_cancellation'
      ? '/api/card-cancellations'
      : '/api/esr-imports';
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('value') && this.value && this.value.id !== this.current?.id) {
      this.current = this.value;
      this.rows = [];
      this.filter = '';
      void this.loadRows();
      if (this.current.status === 'applying') this.poll();
    }
  }

  private async loadRows() {
    if (!this.current) return;
    const path = `${this.base}/{id}/rows` as '/api/esr-imports/{id}/rows';
    try {
      const page = await ok(
        api.GET(path, {
          params: {
            path: { id: this.current.id },
            query: { limit: 200, ...(this.filter ? { plan: this.filter } : {}) },
          },
        }),
      );
      this.rows = page.items;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The rows could not be loaded.';
    }
  }

  /** Cancelling cards cannot be undone: it is asked once more, with how many and whose. */
  private async askApply() {
    if (this.current?.kind === 'card_cancellation') {
      await this.renderRoot.querySelector<RaDialog>('ra-dialog')?.show();
      return;
    }
    await this.apply();
  }

  private async apply() {
    if (!this.current) return;
    this.renderRoot.querySelector<RaDialog>('ra-dialog')?.close();
    this.error = '';
    this.applying = true;
    const path = `${this.base}/{id}/apply` as '/api/esr-imports/{id}/apply';
    try {
      this.current = await ok(api.POST(path, { params: { path: { id: this.current.id } } }));
      // The page's "Checked: nothing is changed until you apply it" is no longer so.
      this.dispatchEvent(new CustomEvent('applying', { bubbles: true, composed: true }));
      this.poll();
    } catch (err) {
      this.applying = false;
      this.error = err instanceof ApiError ? err.message : 'It could not be applied. Try again.';
    }
  }

  /** Asks the server how far the import has got until it is done. */
  private poll() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (!this.current) return;
      const path = `${this.base}/{id}` as '/api/esr-imports/{id}';
      try {
        this.current = await ok(api.GET(path, { params: { path: { id: this.current.id } } }));
      } catch (err) {
        this.error = err instanceof ApiError ? err.message : 'The progress could not be read.';
        this.applying = false;
        return;
      }
      if (this.current.status === 'applying') this.poll();
      else {
        this.applying = false;
        void this.loadRows();
      }
    }, 400);
  }

  override render() {
    const v = this.current;
    if (!v) return nothing;
    const toDo = v.rowCount - (v.planned.refuse ?? 0) - (v.planned.unchanged ?? 0);
    return html`<section class="card" aria-labelledby="run-h" data-testid="import-run">
      <h2 id="run-h">${v.fileName}</h2>
      <p class="muted">Checked ${dateTime(v.createdAt)}${v.createdBy ? ` by ${v.createdBy.displayName}` : ''}:
        ${count(v.rowCount, v.kind === 'esr' ? 'staff record' : 'card')}.</p>
      <p data-testid="planned"><strong>Dry run:</strong> ${countsWords(v.planned)}.</p>
      ${this.error ? html`<p class="message error" role="alert">${this.error}</p>` : nothing}
      ${
        v.status === 'checked'
          ? html`<div class="actions"><button type="button" @click=${this.askApply} ?disabled=${this.applying || toDo <= 0}
              data-testid="apply">${toDo > 0 ? `Apply: ${count(toDo, v.kind === 'esr' ? 'row' : 'card')}` : 'Nothing to apply'}</button></div>
            ${
              v.kind === 'card_cancellation'
                ? html`<ra-dialog danger heading=${`Cancel ${count(toDo, 'card')}?`} confirmLabel=${`Cancel ${count(toDo, 'card')}`}
                    dismissLabel="Go back" @confirm=${this.apply}>
                    <p>Their certificates are revoked at once and the cards can never be used again. Check the names in the list below first.</p>
                  </ra-dialog>`
                : nothing
            }`
          : nothing
      }
      ${
        v.status === 'applying'
          ? html`<label for="progress">Applying: ${v.done.toLocaleString('en-GB')} of ${v.rowCount.toLocaleString('en-GB')} lines done</label>
            <progress id="progress" data-testid="progress" max=${v.rowCount} value=${v.done}></progress>`
          : nothing
      }
      ${
        v.status === 'applied'
          ? html`<p class="message success" role="status" data-testid="summary"><strong>Applied${v.finishedAt ? ` ${dateTime(v.finishedAt)}` : ''}:</strong>
              ${countsWords(v.outcomes)}.</p>`
          : nothing
      }
      ${this.renderRows(v)}
    </section>`;
  }

  private renderRows(v: Import) {
    const plans = Object.keys(v.planned) as Plan[];
    return html`<label for="filter">Show</label>
      <select id="filter" @change=${(e: Event) => {
        this.filter = (e.target as HTMLSelectElement).value as Plan | '';
        void this.loadRows();
      }}>
        <option value="">Every line</option>
        ${plans.map((p) => html`<option value=${p}>${planWords[p] ?? p} (${v.planned[p]})</option>`)}
      </select>
      <table class="stack" aria-label="Lines of the file" data-testid="import-rows">
        <thead><tr><th scope="col">Line</th><th scope="col">${v.kind === 'esr' ? 'Employee' : 'Card'}</th>
          <th scope="col">${v.status === 'applied' ? 'Outcome' : 'Plan'}</th><th scope="col">Why</th></tr></thead>
        <tbody>${this.rows.map(
          (r) => html`<tr>
            <td class="line" data-label="Line">${r.line}</td>
            <td data-label=${v.kind === 'esr' ? 'Employee' : 'Card'}>${r.key}${
              v.kind === 'esr' && r.fields.given_name !== undefined
                ? html`<br /><span class="muted">${r.fields.given_name} ${r.fields.family_name}</span>`
                : nothing
            }${r.personId ? html`<br /><a href="/people/${r.personId}">Open record</a>` : nothing}</td>
            <td class="plan" data-label=${v.status === 'applied' ? 'Outcome' : 'Plan'}>${planWords[r.outcome ?? r.plan] ?? r.plan}</td>
            <td data-label="Why">${r.outcomeMessage ?? r.message}</td>
          </tr>`,
        )}</tbody>
      </table>
      ${this.rows.length >= 200 ? html`<p class="muted">The first 200 lines; choose a kind above to see others.</p>` : nothing}`;
  }
}
customElements.define('ra-import-run', RaImportRun);
