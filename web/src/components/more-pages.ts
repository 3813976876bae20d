import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { ApiError } from '../api/client.ts';

/** A page of a keyset-paged list, as the API gives it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The pages after a list's first, fetched by a "More" button: the people search, the
 * requests inbox and a person's requests. The host fetches the first page itself and calls
 * `startAfter` with its cursor; `load` appends the next page while there is one, and
 * `render` draws the error and the button ("Loading…" and disabled while it fetches). A new
 * first page (`startAfter`, `clear`) cancels a More still in flight, so its items never
 * join a list they do not belong to.
 */
export class MorePages<T> implements ReactiveController {
  /** The items of the pages after the first, in order. */
  items: T[] = [];
  /** Where the next page starts, or null when there is none. */
  cursor: string | null = null;
  /** True while More fetches the next page. */
  loading = false;
  /** Why the last More failed, in words; empty when it did not. */
  error = '';
  private call: AbortController | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly fetchPage: (cursor: string, signal: AbortSignal) => Promise<Page<T>>,
  ) {
    host.addController(this);
  }

  hostDisconnected() {
    this.call?.abort();
  }

  /** A first page came: nothing after it yet, and the next page starts at `cursor`. */
  startAfter(cursor: string | null) {
    this.call?.abort();
    this.call = null;
    this.items = [];
    this.cursor = cursor;
    this.loading = false;
    this.error = '';
    this.host.requestUpdate();
  }

  /** No list: nothing shown after a first page, nothing to fetch. */
  clear() {
    this.startAfter(null);
  }

  /** Replaces an item already shown (a withdrawn request shows its new state). */
  replace(update: (item: T) => T) {
    this.items = this.items.map(update);
    this.host.requestUpdate();
  }

  /** Appends the next page. */
  readonly load = async () => {
    const cursor = this.cursor;
    if (!cursor || this.loading) return;
    const call = new AbortController();
    this.call = call;
    this.error = '';
    this.loading = true;
    this.host.requestUpdate();
    try {
      const page = await this.fetchPage(cursor, call.signal);
      if (call.signal.aborted) return;
      this.items = [...this.items, ...page.items];
      this.cursor = page.nextCursor;
    } catch (err) {
      if (!call.signal.aborted) {
        this.error = err instanceof ApiError ? err.message : 'More could not be loaded.';
      }
    } finally {
      if (this.call === call) {
        this.call = null;
        this.loading = false;
      }
      this.host.requestUpdate();
    }
  };

  /** The error of the last More, if any, and the button while there is a next page. */
  render() {
    return html`${this.error ? html`<p class="message error" role="alert">${this.error}</p>` : nothing}
      ${
        this.cursor
          ? html`<div class="actions"><button class="secondary" type="button" @click=${this.load} ?disabled=${this.loading}>${this.loading ? 'Loading…' : 'More'}</button></div>`
          : nothing
      }`;
  }
}
