import { ContextConsumer } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { MorePages } from '../components/more-pages.ts';
import '../components/ra-loading.ts';
import { count, date, statusLabel, statusTag } from '../format.ts';
import { can, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

type PersonSummary = Schemas['PersonSummary'];

/** People per call: a screenful; "More" fetches the next. */
const pageSize = 25;

/**
 * Find a person by name (any word of it, accents ignored), 12-digit user ID, email or, for
 * those who read cards, a card's serial. The search is kept in the address (`?q=`), so
 * going back to the list finds it again.
 */
export class RaPeoplePage extends LitElement {
  static override properties = {
    q: { state: true },
  };
  /** What was last searched for; empty before the first search. */
  declare q: string;
  /** The pages after the first, fetched by "More"; a new search starts again. */
  private readonly more = new MorePages<PersonSummary>(this, (cursor, signal) =>
    ok(
      api.GET('/api/people', { params: { query: { q: this.q, limit: pageSize, cursor } }, signal }),
      signal,
    ),
  );
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  /** The first page, fetched whenever the search changes; a newer search cancels an older one. */
  private results = new Task(this, {
    args: () => [this.q] as const,
    task: async ([q], { signal }) => {
      this.more.clear();
      if (!q) return null;
      const page = await ok(
        api.GET('/api/people', { params: { query: { q, limit: pageSize } }, signal }),
        signal,
      );
      this.more.startAfter(page.nextCursor);
      return page.items;
    },
  });

  static override styles = [
    shared,
    css`
      form {
        display: flex;
        gap: 0.75rem;
        align-items: end;
        flex-wrap: wrap;
      }
      form > div {
        flex: 1 1 20rem;
        max-width: 32rem;
      }
      #q {
        width: 100%;
      }
      .count {
        font-weight: 600;
      }
    `,
  ];

  constructor() {
    super();
    this.q = new URLSearchParams(window.location.search).get('q')?.trim() ?? '';
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    const q = String(new FormData(event.target as HTMLFormElement).get('q') ?? '').trim();
    const url = q ? `/people?q=${encodeURIComponent(q)}` : '/people';
    history.replaceState(null, '', url);
    if (q === this.q) void this.results.run();
    else this.q = q;
  }

  override render() {
    const me = this.session.value;
    const byCard = can(me, 'cards:read');
    return html`
      <h1>People</h1>
      <section class="card">
        <form @submit=${this.submit} role="search" aria-label="People">
          <div>
            <label for="q">${byCard ? 'Name, user ID, email or card serial' : 'Name, user ID or email'}
              <span class="hint">For example "smi", "jo smith" or "5550 8668 9106"</span></label>
            <input id="q" name="q" type="search" maxlength="100" autocomplete="off" .value=${this.q} />
          </div>
          <button type="submit">Search</button>
        </form>
      </section>
      ${this.results.render({
        pending: () => html`<ra-loading label="Searching…"></ra-loading>`,
        error: (err) =>
          html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The search failed. Try again.'}</p>`,
        complete: (items) => (items ? this.renderResults([...items, ...this.more.items]) : nothing),
      })}
    `;
  }

  private renderResults(people: PersonSummary[]) {
    // With more to fetch, the number shown is not how many match: say so, as Requests does.
    const found = this.more.cursor
      ? `${count(people.length, 'person', 'people')} found so far. There are more: More shows up to ${pageSize} of them.`
      : `${count(people.length, 'person', 'people')} found`;
    return html`
      <p class=${people.length ? 'count' : 'nobody'} role="status">${people.length ? found : this.nobody()}</p>
      ${
        people.length
          ? html`<table class="stack">
              <thead><tr><th scope="col">Name</th><th scope="col">User ID</th><th scope="col">Date of birth</th><th scope="col">Organisations</th><th scope="col">Status</th></tr></thead>
              <tbody>${people.map(
                (p) => html`<tr data-testid="person">
                  <td data-label="Name"><a href="/people/${p.id}">${p.familyName}, ${p.givenName}${p.middleNames ? ` ${p.middleNames}` : ''}</a></td>
                  <td data-label="User ID">${p.userId.replace(/(\d{4})(?=\d)/g, '$1 ')}</td>
                  <td data-label="Date of birth">${date(p.dateOfBirth)}</td>
                  <td data-label="Organisations">${p.odsCodes.join(', ')}</td>
                  <td data-label="Status"><span class="tag ${statusTag[p.status] ?? ''}">${statusLabel(p.status)}</span></td>
                </tr>`,
              )}</tbody>
            </table>
            ${this.more.render()}`
          : nothing
      }
    `;
  }

  /** What to say when nobody matches: registering is offered only to those who may. */
  private nobody() {
    const me = this.session.value;
    return html`Nobody matches “${this.q}”${this.scopeWords()}. Check the spelling, or search by user ID.
      ${
        can(me, 'people:register')
          ? html`If they are new, <a href="/register">register them</a>.`
          : 'If they should be here, ask your RA team to register them.'
      }`;
  }

  /**
   * Where the search looks, when that is not everywhere: the caller finds only people of
   * their own organisations (a role at a trust reaches its sites too). Every role but a
   * staff member's reads people, and a staff member does not search.
   */
  private scopeWords(): string {
    const roles = (this.session.value?.roles ?? []).filter((r) => r.role !== 'staff');
    if (!roles.length || roles.some((r) => !r.organisation)) return '';
    const names = [
      ...new Set(roles.map((r) => `${r.organisation?.name} (${r.organisation?.odsCode})`)),
    ];
    const list =
      names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    return ` among the people of ${list}, the only people you can find`;
  }
}
customElements.define('ra-people-page', RaPeoplePage);
