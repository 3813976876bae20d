import { html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type { CardFlag, FlagKind, Page } from '../api/types.ts';
import { daysWords, flagLabels, flagSeverity } from '../card-words.ts';
import { date, dateTime, systemLabels } from '../format.ts';
import { shared } from '../styles.ts';

/** Cards that need the RA's attention, as the workstations' agents saw them: most urgent first. */
export class RaFlagsPage extends LitElement {
  static override properties = {
    flags: { state: true },
    kind: { state: true },
    status: { state: true },
    nextCursor: { state: true },
    loaded: { state: true },
    error: { state: true },
  };
  declare flags: CardFlag[];
  declare kind: FlagKind | '';
  declare status: 'open' | 'resolved' | 'all';
  declare nextCursor: string | null;
  declare loaded: boolean;
  declare error: string;

  static override styles = [shared];

  constructor() {
    super();
    this.flags = [];
    this.kind = '';
    this.status = 'open';
    this.nextCursor = null;
    this.loaded = false;
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load(more = false) {
    this.error = '';
    try {
      const page = await api.get<Page<CardFlag>>(
        `/api/flags${query({
          status: this.status,
          kind: this.kind || undefined,
          cursor: more ? (this.nextCursor ?? undefined) : undefined,
        })}`,
      );
      this.flags = more ? [...this.flags, ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.loaded = true;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The card flags could not be loaded.';
    }
  }

  override render() {
    return html`
      <h1>Card flags</h1>
      <p class="muted">What the reader agents saw on cards put in workstation readers, most urgent first.</p>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      <div class="actions">
        <label for="flag-kind">Flag</label>
        <select id="flag-kind" @change=${(e: Event) => {
          this.kind = (e.target as HTMLSelectElement).value as FlagKind | '';
          void this.load();
        }}>
          <option value="">All flags</option>
          ${Object.entries(flagLabels).map(([k, label]) => html`<option value=${k}>${label}</option>`)}
        </select>
        <label for="flag-status">Showing</label>
        <select id="flag-status" @change=${(e: Event) => {
          this.status = (e.target as HTMLSelectElement).value as 'open' | 'resolved' | 'all';
          void this.load();
        }}>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
          <option value="all">All</option>
        </select>
      </div>
      ${
        this.loaded && !this.flags.length
          ? html`<p data-testid="no-flags">No ${this.status === 'open' ? 'open ' : ''}flags: nothing to act on.</p>`
          : html`<table>
        <thead><tr><th scope="col">Flag</th><th scope="col">Holder</th><th scope="col">Card</th><th scope="col">Systems at risk</th><th scope="col">What to do</th><th scope="col">Last seen</th></tr></thead>
        <tbody>${this.flags.map(
          (f) => html`<tr data-testid="flag" data-kind=${f.kind}>
            <td><span class="tag ${f.status === 'resolved' ? '' : flagSeverity[f.kind]}">${flagLabels[f.kind]}</span>${f.summary === flagLabels[f.kind] ? '' : html`<br />${f.summary}`}
              ${f.certificate && f.daysLeft !== null ? html`<br /><span class="muted">${date(f.certificate.notAfter)} · ${daysWords(f.daysLeft)}</span>` : ''}
              ${f.status === 'resolved' && f.resolvedAt ? html`<br /><span class="muted">resolved ${dateTime(f.resolvedAt)}</span>` : ''}</td>
            <td>${f.person ? html`<a href="/people/${f.person.id}">${f.person.displayName}</a>` : html`<span class="muted">Unknown holder</span>`}</td>
            <td><abbr title=${f.card.serial}>${f.card.serial.slice(0, 8)}…</abbr>${f.card.known ? '' : html`<br /><span class="muted">not on record</span>`}</td>
            <td>${f.systems.length ? f.systems.map((s) => systemLabels[s] ?? s).join(', ') : html`<span class="muted">none known</span>`}</td>
            <td>${f.action}</td>
            <td>${dateTime(f.lastSeenAt)}<br /><span class="muted">${f.workstation.name}</span></td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${this.nextCursor ? html`<div class="actions"><button type="button" class="secondary" @click=${() => this.load(true)}>Load more</button></div>` : ''}
    `;
  }
}
customElements.define('ra-flags-page', RaFlagsPage);
