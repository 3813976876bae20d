import { Task } from '@lit/task';
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import {
  type CardFilters,
  cardStateOrder,
  cardStateTags,
  cardsHref,
  expiryBuckets,
  expiryWords,
  filtersOf,
} from '../card-lists.ts';
import { cardReasonWords, daysWords, flagLabels, flagSeverity } from '../card-words.ts';
import '../components/ra-dialog.ts';
import type { RaDialog } from '../components/ra-dialog.ts';
import '../components/ra-loading.ts';
import { count, date, shortSerial, statusLabel, words } from '../format.ts';
import { onNavigate } from '../router.ts';
import { shared } from '../styles.ts';

type CardRow = Schemas['CardRow'];
type Verb = CardRow['actions'][number];

/** The filters an address may name, in words, for saying which one it named wrongly. */
const filterWords: Record<string, string> = {
  state: 'card state',
  expiry: 'certificate expiry',
  flag: 'flag',
  location: 'location',
  holder: 'holder',
};

/** Cards per call: a screenful; "More" fetches the next. */
const pageSize = 50;

/** Why a card is cancelled, in the order the RA desk meets them. */
const cancelReasons = ['lost', 'stolen', 'damaged', 'left', 'replaced'] as const;
const cancelReasonLabels: Record<(typeof cancelReasons)[number], string> = {
  lost: 'Lost',
  stolen: 'Stolen',
  damaged: 'Damaged',
  left: 'The holder left',
  replaced: 'Replaced by another card',
};

/**
 * The moves a row offers as buttons, each shown only where the server's `actions` for the
 * row lists it: cancelling, the move a lost, stolen or leaver's card needs at once. The
 * others (suspend, reinstate, the stock moves) are made on the card's own page.
 */
const rowActions: Partial<Record<Verb, (row: CardRow, page: RaCardsPage) => TemplateResult>> = {
  cancel: (row, page) =>
    html`<button type="button" class="danger" data-testid="cancel-card"
      @click=${() => page.askCancel(row)}>Cancel<span class="visually-hidden"> card ${shortSerial(row.serial)}${row.holder ? ` of ${row.holder.name}` : ''}</span></button>`,
};

/**
 * The cards the caller may see (GET /api/cards), filtered as the address says
 * (`/cards?expiry=30`, `?state=blocked`, `?holder=<person>`, `?location=<id>`, `?flag=<kind>`),
 * which is where each dashboard count leads; soonest expiry first, "More" for the next page.
 * Each row links to the card's page.
 */
export class RaCardsPage extends LitElement {
  static override properties = {
    filters: { state: true },
    more: { state: true },
    cursor: { state: true },
    moreError: { state: true },
    cancelling: { state: true },
    notice: { state: true },
  };
  /** The row whose Cancel was pressed: the dialog asks why. */
  declare cancelling: CardRow | null;
  /** What the last move did, said once above the list. */
  declare notice: string;
  declare filters: CardFilters;
  /** Cards of the pages after the first, fetched by "More". */
  declare more: CardRow[];
  /** Where the next page starts, or null when there is none. */
  declare cursor: string | null;
  declare moreError: string;
  private stopListening: (() => void) | null = null;

  /** The first page, fetched whenever the filters change; newer filters cancel an older call. */
  private list = new Task(this, {
    args: () => [this.filters] as const,
    task: async ([filters], { signal }) => {
      const page = await ok(
        api.GET('/api/cards', { params: { query: this.query(filters) }, signal }),
        signal,
      );
      this.more = [];
      this.cursor = page.nextCursor;
      this.moreError = '';
      return page.items;
    },
  });

  static override styles = [
    shared,
    css`
      form.filters {
        display: flex;
        flex-wrap: wrap;
        gap: 0 1rem;
        align-items: end;
      }
      form.filters > div {
        flex: 1 1 12rem;
        max-width: 18rem;
      }
      form.filters select {
        width: 100%;
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
      .chips button {
        padding: 0.2rem 0.6rem;
      }
      .count {
        font-weight: 600;
      }
      td[data-label='Actions'] button {
        padding: 0.3rem 0.7rem;
      }
    `,
  ];

  constructor() {
    super();
    this.filters = filtersOf(window.location.search);
    this.more = [];
    this.cursor = null;
    this.moreError = '';
    this.cancelling = null;
    this.notice = '';
  }

  async askCancel(row: CardRow) {
    this.notice = '';
    this.cancelling = row;
    await this.updateComplete;
    await this.renderRoot.querySelector<RaDialog>('ra-dialog')?.show();
  }

  private async confirmCancel(event: CustomEvent<{ reason: string }>) {
    const dialog = event.target as RaDialog;
    const row = this.cancelling;
    if (!row) return;
    try {
      const moved = await ok(
        api.POST('/api/cards/{serial}/cancel', {
          params: { path: { serial: row.serial } },
          body: { reason: event.detail.reason as (typeof cancelReasons)[number] },
        }),
      );
      dialog.close();
      this.cancelling = null;
      this.notice = `Card ${shortSerial(moved.serial)}${row.holder ? ` of ${row.holder.name}` : ''} is cancelled (${cardReasonWords[event.detail.reason as (typeof cancelReasons)[number]]}); its certificates are revoked.`;
      // The list again, as the filters now find it: a cancelled card leaves most of them.
      await this.list.run();
    } catch (err) {
      const problems = err instanceof ApiError ? err.fieldProblems : [];
      dialog.fail(
        problems.length
          ? problems.map((p) => p.message).join('; ')
          : err instanceof ApiError
            ? err.message
            : 'The card could not be cancelled. Try again.',
      );
    }
  }

  private renderCancelDialog() {
    const row = this.cancelling;
    const choices = cancelReasons.map((r) => ({ value: r, label: cancelReasonLabels[r] }));
    return html`<ra-dialog heading=${row ? `Cancel card ${shortSerial(row.serial)}${row.holder ? ` of ${row.holder.name}` : ''}?` : ''}
      confirmLabel="Cancel card" dismissLabel="Keep the card" danger
      choiceLabel="Why is the card being cancelled?"
      .choices=${choices}
      @confirm=${(e: CustomEvent<{ reason: string }>) => this.confirmCancel(e)}
      @cancel=${() => {
        this.cancelling = null;
      }}><p>Cancelling is final: the card's certificates are revoked at once and the card can never be used again.</p></ra-dialog>`;
  }

  override connectedCallback() {
    super.connectedCallback();
    // A link to this page from this page (the navigation's "Cards"), or going back and
    // forward, changes only the address: the filters follow it.
    this.stopListening = onNavigate((path) => {
      if (path === '/cards') this.filters = filtersOf(window.location.search);
    });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.stopListening?.();
  }

  private query(filters: CardFilters) {
    return {
      state: filters.state.length ? filters.state : undefined,
      expiry: filters.expiry || undefined,
      flag: filters.flag || undefined,
      location: filters.location || undefined,
      holder: filters.holder || undefined,
      limit: pageSize,
    };
  }

  /** Applies a change of filters, keeping it in the address so that Back and a reload find it. */
  private refilter(change: Partial<CardFilters>) {
    this.filters = { ...this.filters, ...change };
    history.replaceState(null, '', cardsHref(this.filters));
  }

  private async loadMore() {
    if (!this.cursor) return;
    this.moreError = '';
    try {
      const page = await ok(
        api.GET('/api/cards', {
          params: { query: { ...this.query(this.filters), cursor: this.cursor } },
        }),
      );
      this.more = [...this.more, ...page.items];
      this.cursor = page.nextCursor;
    } catch (err) {
      this.moreError = err instanceof ApiError ? err.message : 'More cards could not be loaded.';
    }
  }

  override render() {
    return html`
      <h1>Cards</h1>
      ${this.renderFilters()}
      ${this.notice ? html`<p class="message success" role="status" data-testid="notice">${this.notice}</p>` : nothing}
      ${this.renderCancelDialog()}
      ${this.list.render({
        pending: () => html`<ra-loading label="Loading cards…"></ra-loading>`,
        error: (err) => this.renderError(err),
        complete: (items) => this.renderCards([...items, ...this.more]),
      })}
    `;
  }

  /**
   * A refusal of the list. A filter the server does not know comes from an address (a
   * bookmark, a link typed by hand): the page says which, in words, and offers every card.
   */
  private renderError(err: unknown) {
    const unknown =
      err instanceof ApiError
        ? [
            ...new Set(err.fieldProblems.map((p) => filterWords[p.field.split('.')[0] ?? ''])),
          ].filter((f): f is string => !!f)
        : [];
    if (unknown.length) {
      return html`<p class="message error" role="alert" data-testid="bad-filter">This address
        names a ${unknown.join(' and a ')} the list does not know. Choose from the filters
        above, or <a href="/cards">show every card</a>.</p>`;
    }
    return html`<p class="message error" role="alert">${
      err instanceof ApiError ? err.message : 'The cards could not be loaded.'
    }</p>`;
  }

  private renderFilters() {
    const f = this.filters;
    // Several states at once come only from an address; the list names them as one choice.
    const several = f.state.length > 1 ? f.state.join(',') : '';
    const first = this.list.value?.[0];
    const holderName = first?.holder?.id === f.holder ? first?.holder?.name : null;
    const locationName = first?.location?.id === f.location ? first?.location?.name : null;
    return html`<section class="card" aria-label="Filters">
      <form class="filters" @submit=${(e: Event) => e.preventDefault()}>
        <div>
          <label for="card-state">State</label>
          <select id="card-state" @change=${(e: Event) => {
            const value = (e.target as HTMLSelectElement).value;
            this.refilter({ state: value ? (value.split(',') as CardFilters['state']) : [] });
          }}>
            <option value="" ?selected=${!f.state.length}>Any state</option>
            ${several ? html`<option value=${several} selected>${f.state.map(statusLabel).join(' or ')}</option>` : nothing}
            ${cardStateOrder.map(
              (s) =>
                html`<option value=${s} ?selected=${f.state.length === 1 && f.state[0] === s}>${statusLabel(s)}</option>`,
            )}
          </select>
        </div>
        <div>
          <label for="card-expiry">Certificates</label>
          <select id="card-expiry" @change=${(e: Event) =>
            this.refilter({
              expiry: (e.target as HTMLSelectElement).value as CardFilters['expiry'],
            })}>
            <option value="" ?selected=${!f.expiry}>Any expiry</option>
            ${expiryBuckets.map(
              (b) =>
                html`<option value=${b} ?selected=${f.expiry === b}>${b === 'expired' ? 'Expired' : `Expiring ${expiryWords[b].toLowerCase()}`}</option>`,
            )}
          </select>
        </div>
        <div>
          <label for="card-flag">Open flag</label>
          <select id="card-flag" @change=${(e: Event) =>
            this.refilter({ flag: (e.target as HTMLSelectElement).value as CardFilters['flag'] })}>
            <option value="" ?selected=${!f.flag}>Any or none</option>
            ${Object.entries(flagLabels).map(
              ([k, label]) => html`<option value=${k} ?selected=${f.flag === k}>${label}</option>`,
            )}
          </select>
        </div>
      </form>
      ${
        f.holder || f.location
          ? html`<div class="chips">
              ${f.holder ? html`<button type="button" class="secondary" data-testid="holder-filter" @click=${() => this.refilter({ holder: '' })}>Held by ${holderName ?? 'one person'} <span aria-hidden="true">✕</span><span class="visually-hidden">: show everyone’s</span></button>` : nothing}
              ${f.location ? html`<button type="button" class="secondary" data-testid="location-filter" @click=${() => this.refilter({ location: '' })}>At ${locationName ?? 'one location'} <span aria-hidden="true">✕</span><span class="visually-hidden">: show every location’s</span></button>` : nothing}
            </div>`
          : nothing
      }
      ${
        // An address naming an unknown bucket (`?expiry=12`) shows the server's refusal
        // below, not a blank page.
        f.expiry && Object.hasOwn(expiryWords, f.expiry)
          ? html`<p class="hint">Cards in use (issued, active, blocked or suspended); ${f.expiry === 'expired' ? 'their certificates have expired.' : `their certificates expire ${expiryWords[f.expiry].toLowerCase()}, counted on the trust’s calendar, and have not expired.`}</p>`
          : nothing
      }
    </section>`;
  }

  private renderCards(rows: CardRow[]) {
    if (!rows.length) {
      return html`<p role="status" data-testid="no-cards">No cards match these filters.</p>`;
    }
    const withActions = rows.some((r) => r.actions.some((a) => rowActions[a]));
    return html`
      <p class="count" role="status" data-testid="card-count">${count(rows.length, 'card')}${this.cursor ? ' so far' : ''}</p>
      <table class="stack">
        <caption class="visually-hidden">Cards</caption>
        <thead><tr><th scope="col">Card</th><th scope="col">Holder</th><th scope="col">State</th><th scope="col">Certificates</th><th scope="col">Location</th><th scope="col">Open flags</th>${withActions ? html`<th scope="col">Actions</th>` : nothing}</tr></thead>
        <tbody>${rows.map((r) => this.renderRow(r, withActions))}</tbody>
      </table>
      ${this.moreError ? html`<p class="message error" role="alert">${this.moreError}</p>` : nothing}
      ${this.cursor ? html`<div class="actions"><button class="secondary" type="button" @click=${this.loadMore}>More</button></div>` : nothing}
    `;
  }

  private renderRow(r: CardRow, withActions: boolean) {
    return html`<tr data-testid="card-row" data-serial=${r.serial}>
      <td data-label="Card"><a href="/cards/${encodeURIComponent(r.serial)}" title=${r.serial}>${shortSerial(r.serial)}</a> <span class="muted">${r.cardType}</span></td>
      <td data-label="Holder">${
        r.holder
          ? html`<a href="/people/${r.holder.id}">${r.holder.name}</a><br /><span class="muted">${r.holder.userId}</span>`
          : html`<span class="muted">No holder</span>`
      }</td>
      <td data-label="State"><span class="tag ${cardStateTags[r.state]}">${statusLabel(r.state)}</span>${r.stateReason ? html`<br /><span class="muted">${words(r.stateReason)}</span>` : nothing}</td>
      <td data-label="Certificates">${
        r.expiresAt && r.daysLeft !== null
          ? html`${date(r.expiresAt)}<br /><span class="muted">${daysWords(r.daysLeft)}</span>`
          : html`<span class="muted">none</span>`
      }</td>
      <td data-label="Location">${r.location?.name ?? html`<span class="muted">none</span>`}</td>
      <td data-label="Open flags">${
        r.openFlags.length
          ? r.openFlags.map(
              (k) => html`<span class="tag ${flagSeverity[k]}">${flagLabels[k]}</span> `,
            )
          : html`<span class="muted">none</span>`
      }</td>
      ${withActions ? html`<td data-label="Actions">${r.actions.map((a) => rowActions[a]?.(r, this) ?? nothing)}</td>` : nothing}
    </tr>`;
  }
}
customElements.define('ra-cards-page', RaCardsPage);
