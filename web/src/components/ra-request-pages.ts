import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { count } from '../format.ts';
import { shared } from '../styles.ts';
import { MorePages } from './more-pages.ts';
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
    first: { state: true },
  };
  /** `inbox` (requests the user decides) or `mine` (raised by or for the user). */
  declare view: 'inbox' | 'mine';
  /** Only this person's requests, however old. */
  declare personId: string | undefined;
  /** Bumped by the page to fetch the list again. */
  declare revision: number;
  /** The first page's requests, newest first. */
  declare first: AccessRequest[];
  static override styles = [shared];

  private query(cursor?: string) {
    const personId = this.personId;
    return {
      view: this.view,
      limit: pageSize,
      ...(cursor ? { cursor } : {}),
      ...(personId ? { personId } : {}),
    };
  }

  /** The older pages, fetched by "More". */
  private readonly more = new MorePages<AccessRequest>(this, (cursor, signal) =>
    ok(api.GET('/api/requests', { params: { query: this.query(cursor) }, signal }), signal),
  );

  private readonly list = new Task(this, {
    args: () => [this.view, this.personId, this.revision] as const,
    task: async (_, { signal }) => {
      this.more.clear();
      const page = await ok(
        api.GET('/api/requests', { params: { query: this.query() }, signal }),
        signal,
      );
      this.first = page.items;
      this.more.startAfter(page.nextCursor);
      return page.items;
    },
  });

  constructor() {
    super();
    this.view = 'mine';
    this.personId = undefined;
    this.revision = 0;
    this.first = [];
  }

  /** A withdrawn request shows its new state, though the page does not fetch again. */
  private readonly withdrawn = (event: CustomEvent<AccessRequest>) => {
    const update = (r: AccessRequest) => (r.id === event.detail.id ? event.detail : r);
    this.first = this.first.map(update);
    this.more.replace(update);
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
    const requests = [...this.first, ...this.more.items];
    // With more to fetch, the number shown is not how many there are: say so.
    const shown = this.more.cursor
      ? `The ${requests.length} most recently raised requests are shown. There are older ones: More shows up to ${pageSize} of them.`
      : count(requests.length, 'request');
    return html`${
      requests.length
        ? html`<p class="muted" role="status" data-testid="request-count">${shown}</p>`
        : nothing
    }
      <ra-requests-table .requests=${requests} @ra-request-withdrawn=${this.withdrawn}></ra-requests-table>
      ${this.more.render()}`;
  }
}
customElements.define('ra-request-pages', RaRequestPages);
