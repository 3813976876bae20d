import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { count } from '../format.ts';
import { shared } from '../styles.ts';
import './ra-loading.ts';
import './ra-requests-table.ts';

type AccessRequest = Schemas['AccessRequest'];

/** Requests per call: a screenful, as on the requests inbox; "More" fetches the next, older ones. */
const pageSize = 50;

const message = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/**
 * A list of requests fetched a page at a time: the holder's own (`view="mine"`, My access) or
 * one person's (`person-id`, their page). The first 50 most recently raised show; a count line
 * says when older ones exist, and "More" appends the next page while the server gives a
 * cursor. Bumping `revision` fetches it again from the first page (after a request is raised
 * or withdrawn). Withdrawing is the table's, which fires `ra-request-withdrawn`.
 */
export class RaRequestPages extends LitElement {
  static override properties = {
    view: {},
    personId: { attribute: 'person-id' },
    revision: { type: Number },
    requests: { state: true },
    cursor: { state: true },
    moreError: { state: true },
    loadingMore: { state: true },
  };
  /** `inbox` (requests the user decides) or `mine` (raised by or for the user). */
  declare view: 'inbox' | 'mine';
  /** Only this person's requests, however old. */
  declare personId: string | undefined;
  /** Bumped by the page to fetch the list again. */
  declare revision: number;
  /** The requests of the pages fetched so far, newest first. */
  declare requests: AccessRequest[];
  /** Where the next page starts, or null when there is none. */
  declare cursor: string | null;
  declare moreError: string;
  /** True while "More" fetches the next page. */
  declare loadingMore: boolean;
  /** The "More" call in flight: a new first page cancels it. */
  private moreCall: AbortController | null = null;
  static override styles = [shared];

  private readonly list = new Task(this, {
    args: () => [this.view, this.personId, this.revision] as const,
    task: async ([view, personId], { signal }) => {
      this.moreCall?.abort();
      const page = await ok(
        api.GET('/api/requests', {
          params: { query: { view, limit: pageSize, ...(personId ? { personId } : {}) } },
          signal,
        }),
        signal,
      );
      this.requests = page.items;
      this.cursor = page.nextCursor;
      this.moreError = '';
      return page.items;
    },
  });

  constructor() {
    super();
    this.view = 'mine';
    this.personId = undefined;
    this.revision = 0;
    this.requests = [];
    this.cursor = null;
    this.moreError = '';
    this.loadingMore = false;
  }

  /** Appends the next page, older than what is shown. */
  private async loadMore() {
    const cursor = this.cursor;
    if (!cursor || this.loadingMore) return;
    const call = new AbortController();
    this.moreCall = call;
    this.moreError = '';
    this.loadingMore = true;
    const personId = this.personId;
    try {
      const page = await ok(
        api.GET('/api/requests', {
          params: {
            query: { view: this.view, limit: pageSize, cursor, ...(personId ? { personId } : {}) },
          },
          signal: call.signal,
        }),
        call.signal,
      );
      if (call.signal.aborted) return;
      this.requests = [...this.requests, ...page.items];
      this.cursor = page.nextCursor;
    } catch (err) {
      if (!call.signal.aborted) this.moreError = message(err, 'More could not be loaded.');
    } finally {
      if (this.moreCall === call) {
        this.moreCall = null;
        this.loadingMore = false;
      }
    }
  }

  /** A withdrawn request shows its new state, though the page does not fetch again. */
  private readonly withdrawn = (event: CustomEvent<AccessRequest>) => {
    this.requests = this.requests.map((r) => (r.id === event.detail.id ? event.detail : r));
  };

  override render() {
    if (this.list.status === TaskStatus.ERROR) {
      return html`<div class="message error" role="alert"><p>${message(this.list.error, 'The requests could not be loaded.')}</p>
        <button type="button" class="secondary" @click=${() => this.list.run()}>Try again</button></div>`;
    }
    // Fetching again (after a withdrawal) keeps what was shown until the new page comes.
    if (this.list.value === undefined) {
      return html`<ra-loading label="Loading requests…"></ra-loading>`;
    }
    const requests = this.requests;
    // With more to fetch, the number shown is not how many there are: say so.
    const shown = this.cursor
      ? `The ${requests.length} most recently raised requests are shown. There are older ones: More shows up to ${pageSize} of them.`
      : count(requests.length, 'request');
    return html`${
      requests.length
        ? html`<p class="muted" role="status" data-testid="request-count">${shown}</p>`
        : nothing
    }
      <ra-requests-table .requests=${requests} @ra-request-withdrawn=${this.withdrawn}></ra-requests-table>
      ${this.moreError ? html`<p class="message error" role="alert">${this.moreError}</p>` : nothing}
      ${
        this.cursor
          ? html`<div class="actions"><button class="secondary" type="button" @click=${this.loadMore} ?disabled=${this.loadingMore}>${this.loadingMore ? 'Loading…' : 'More'}</button></div>`
          : nothing
      }`;
  }
}
customElements.define('ra-request-pages', RaRequestPages);
