import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type { Page, PersonSummary } from '../api/types.ts';
import { date, statusTag, words } from '../format.ts';
import { shared } from '../styles.ts';

/** Find a person by name, 12-digit user ID or email. */
export class RaPeoplePage extends LitElement {
  static override properties = {
    people: { state: true },
    cursor: { state: true },
    error: { state: true },
    searched: { state: true },
  };
  declare people: PersonSummary[];
  declare cursor: string | null;
  declare error: string;
  declare searched: boolean;
  private q = '';

  static override styles = [
    shared,
    css`
      form {
        display: flex;
        gap: 0.75rem;
        align-items: end;
        flex-wrap: wrap;
      }
      #q {
        width: 28rem;
      }
    `,
  ];

  constructor() {
    super();
    this.people = [];
    this.cursor = null;
    this.error = '';
    this.searched = false;
  }

  private async search(more = false) {
    this.error = '';
    try {
      const page = await api.get<Page<PersonSummary>>(
        `/api/people${query({ q: this.q, cursor: more ? this.cursor : undefined, limit: 25 })}`,
      );
      this.people = more ? [...this.people, ...page.items] : page.items;
      this.cursor = page.nextCursor;
      this.searched = true;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The search failed.';
    }
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    this.q = String(new FormData(event.target as HTMLFormElement).get('q') ?? '');
    void this.search();
  }

  override render() {
    return html`
      <h1>People</h1>
      <section class="card">
        <form @submit=${this.submit} role="search">
          <div>
            <label for="q">Name, user ID or email <span class="hint">For example "smi", "jo smith" or "5550 8668 9106"</span></label>
            <input id="q" name="q" type="search" maxlength="100" autocomplete="off" />
          </div>
          <button type="submit">Search</button>
        </form>
      </section>
      ${this.error ? html`<p class="message error" role="alert">${this.error}</p>` : ''}
      <div role="status" aria-live="polite" class="visually-hidden">${this.searched ? `${this.people.length} people found` : ''}</div>
      ${
        this.searched
          ? this.people.length
            ? html`<table>
                <thead><tr><th scope="col">Name</th><th scope="col">User ID</th><th scope="col">Date of birth</th><th scope="col">Organisations</th><th scope="col">Status</th></tr></thead>
                <tbody>${this.people.map(
                  (p) => html`<tr>
                    <td><a href="/people/${p.id}">${p.familyName}, ${p.givenName}${p.middleNames ? ` ${p.middleNames}` : ''}</a></td>
                    <td>${p.userId.replace(/(\d{4})(?=\d)/g, '$1 ')}</td>
                    <td>${date(p.dateOfBirth)}</td>
                    <td>${p.odsCodes.join(', ')}</td>
                    <td><span class="tag ${statusTag[p.status] ?? ''}">${words(p.status)}</span></td>
                  </tr>`,
                )}</tbody>
              </table>
              ${this.cursor ? html`<div class="actions"><button class="secondary" type="button" @click=${() => this.search(true)}>More</button></div>` : ''}`
            : html`<p>Nobody matches. Check the spelling, or <a href="/register">register a person</a>.</p>`
          : ''
      }
    `;
  }
}
customElements.define('ra-people-page', RaPeoplePage);
