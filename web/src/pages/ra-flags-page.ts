import { Task } from '@lit/task';
import { html, LitElement } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { flagLabels, flagSeverity, noFlagsMessage } from '../card-words.ts';
import '../components/ra-loading.ts';
import { count, date, dateTime, shortSerial, systemLabels } from '../format.ts';
import { shared } from '../styles.ts';

type CardFlag = Schemas['CardFlag'];
type FlagStatus = 'open' | 'resolved' | 'all';

/**
 * Cards that need the RA's attention, as the workstations' agents saw them: most urgent
 * first. The filters are kept in the address (`/card-flags?kind=pin_blocked`), where the
 * dashboard's counts of open flags lead.
 */
export class RaFlagsPage extends LitElement {
  static override properties = {
    kind: { state: true },
    status: { state: true },
    cursor: { state: true },
    earlier: { state: true },
  };
  declare kind: CardFlag['kind'] | '';
  declare status: FlagStatus;
  /** The cursor of the page being shown last (null for the first page). */
  declare cursor: string | null;
  /** Flags of the pages before the last one, kept while "Load more" fetches the next. */
  declare earlier: CardFlag[];

  /** The last page of flags, fetched again whenever a filter or the cursor changes. */
  private list = new Task(this, {
    args: () => [this.kind, this.status, this.cursor] as const,
    task: ([kind, status, cursor], { signal }) =>
      ok(
        api.GET('/api/flags', {
          params: { query: { status, kind: kind || undefined, cursor: cursor ?? undefined } },
          signal,
        }),
        signal,
      ),
  });

  static override styles = [shared];

  constructor() {
    super();
    const q = new URLSearchParams(window.location.search);
    const kind = q.get('kind') ?? '';
    const status = q.get('status') ?? '';
    this.kind = kind in flagLabels ? (kind as CardFlag['kind']) : '';
    this.status = status === 'resolved' || status === 'all' ? status : 'open';
    this.cursor = null;
    this.earlier = [];
  }

  private refilter(change: () => void) {
    this.earlier = [];
    this.cursor = null;
    change();
    const q = new URLSearchParams();
    if (this.kind) q.set('kind', this.kind);
    if (this.status !== 'open') q.set('status', this.status);
    history.replaceState(null, '', q.size ? `/card-flags?${q}` : '/card-flags');
  }

  private loadMore(shown: CardFlag[], next: string) {
    this.earlier = shown;
    this.cursor = next;
  }

  override render() {
    return html`
      <h1>Card flags</h1>
      <p class="muted">What the reader agents saw on cards put in workstation readers, most urgent first.</p>
      <div class="actions">
        <label for="flag-kind">Flag</label>
        <select id="flag-kind" @change=${(e: Event) =>
          this.refilter(() => {
            this.kind = (e.target as HTMLSelectElement).value as CardFlag['kind'] | '';
          })}>
          <option value="" ?selected=${!this.kind}>All flags</option>
          ${Object.entries(flagLabels).map(([k, label]) => html`<option value=${k} ?selected=${this.kind === k}>${label}</option>`)}
        </select>
        <label for="flag-status">Showing</label>
        <select id="flag-status" @change=${(e: Event) =>
          this.refilter(() => {
            this.status = (e.target as HTMLSelectElement).value as FlagStatus;
          })}>
          <option value="open" ?selected=${this.status === 'open'}>Open</option>
          <option value="resolved" ?selected=${this.status === 'resolved'}>Resolved</option>
          <option value="all" ?selected=${this.status === 'all'}>All</option>
        </select>
      </div>
      ${this.list.render({
        pending: () =>
          html`${this.earlier.length ? this.renderTable(this.earlier) : ''}<ra-loading label="Loading card flags…"></ra-loading>`,
        complete: (page) => {
          const flags = [...this.earlier, ...page.items];
          if (!flags.length) {
            return html`<p data-testid="no-flags">${noFlagsMessage(this.status, this.kind)}</p>`;
          }
          const next = page.nextCursor;
          return html`<p class="muted" data-testid="flag-count">${count(flags.length, 'flag')}${next ? ' so far' : ''}</p>
            ${this.renderTable(flags)}
            ${next ? html`<div class="actions"><button type="button" class="secondary" @click=${() => this.loadMore(flags, next)}>Load more</button></div>` : ''}`;
        },
        error: (err) =>
          html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The card flags could not be loaded.'}</p>`,
      })}
    `;
  }

  private renderTable(flags: CardFlag[]) {
    return html`<table class="stack">
      <thead><tr><th scope="col">Flag</th><th scope="col">Holder</th><th scope="col">Card</th><th scope="col">Systems at risk</th><th scope="col">What to do</th><th scope="col">Last seen</th></tr></thead>
      <tbody>${flags.map(
        (f) => html`<tr data-testid="flag" data-kind=${f.kind}>
          <td data-label="Flag"><span class="tag ${f.status === 'resolved' ? '' : flagSeverity[f.kind]}">${flagLabels[f.kind]}</span>${f.summary === flagLabels[f.kind] ? '' : html`<br />${f.summary}`}
            ${f.certificate && f.daysLeft !== null ? html`<br /><span class="muted">${f.daysLeft < 0 ? 'Expired' : 'Expires'} ${date(f.certificate.notAfter)}</span>` : ''}
            ${f.status === 'resolved' && f.resolvedAt ? html`<br /><span class="muted">resolved ${dateTime(f.resolvedAt)}</span>` : ''}</td>
          <td data-label="Holder">${f.person ? html`<a href="/people/${f.person.id}">${f.person.displayName}</a>` : html`<span class="muted">Holder not known here</span>`}</td>
          <td data-label="Card">${
            // A card on record has its own page; the whole serial is there and on hover.
            f.card.known && f.person
              ? html`<a href="/cards/${encodeURIComponent(f.card.serial)}" title=${f.card.serial}>${shortSerial(f.card.serial)}</a>`
              : html`<span title=${f.card.serial}>${shortSerial(f.card.serial)}</span>`
          }${f.card.known ? '' : html`<br /><span class="muted">not on record</span>`}</td>
          <td data-label="Systems at risk">${f.systems.length ? f.systems.map((s) => systemLabels[s] ?? s).join(', ') : html`<span class="muted">none known</span>`}</td>
          <td data-label="What to do">${f.action}</td>
          <td data-label="Last seen">${dateTime(f.lastSeenAt)}<br /><span class="muted">${f.workstation?.name ?? 'raised by an ESR import'}</span></td>
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-flags-page', RaFlagsPage);
