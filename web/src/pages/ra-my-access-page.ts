import { html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import type { AccessRequest, Page, Person, Position } from '../api/types.ts';
import '../components/ra-assignments-table.ts';
import '../components/ra-cards-table.ts';
import type { PositionChoice } from '../components/ra-position-form.ts';
import '../components/ra-position-form.ts';
import '../components/ra-requests-table.ts';
import { shared } from '../styles.ts';

/** A card holder's own access: positions held, asking for one, and their requests. */
export class RaMyAccessPage extends LitElement {
  static override properties = {
    person: { state: true },
    positions: { state: true },
    requests: { state: true },
    error: { state: true },
    notice: { state: true },
    missing: { state: true },
  };
  declare person: Person | null;
  declare positions: Position[];
  declare requests: AccessRequest[];
  declare error: string;
  declare notice: string;
  declare missing: boolean;
  static override styles = [shared];

  constructor() {
    super();
    this.person = null;
    this.positions = [];
    this.requests = [];
    this.error = '';
    this.notice = '';
    this.missing = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.person = await api.get<Person>('/api/me/person');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) this.missing = true;
      else this.error = err instanceof ApiError ? err.message : 'Your access could not be loaded.';
      return;
    }
    try {
      // The server says which positions fit them (their organisations' tree) and are not held.
      const [positions, requests] = await Promise.all([
        api.get<{ items: Position[] }>(`/api/people/${this.person.id}/assignable-positions`),
        api.get<Page<AccessRequest>>('/api/requests?view=mine'),
      ]);
      this.positions = positions.items;
      this.requests = requests.items;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'Your requests could not be loaded.';
    }
  }

  private async request(e: CustomEvent<PositionChoice>) {
    if (!this.person) return;
    this.error = '';
    try {
      await api.post('/api/requests', { kind: 'assign', personId: this.person.id, ...e.detail });
      this.notice = 'Request sent. Your sponsor or the RA team will decide it.';
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The request was not sent.';
    }
  }

  override render() {
    if (this.missing) {
      return html`<h1>My access</h1><p>Your account is not linked to a person record yet. Ask the RA team.</p>`;
    }
    const p = this.person;
    return html`
      <h1>My access</h1>
      <div role="status" aria-live="polite">${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}</div>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      ${
        p
          ? html`<p>User ID <strong>${p.userId}</strong></p>
            <section class="card" aria-labelledby="held-h">
              <h2 id="held-h">Positions you hold</h2>
              <ra-assignments-table .assignments=${p.assignments}></ra-assignments-table>
            </section>
            <section class="card" aria-labelledby="cards-h">
              <h2 id="cards-h">Your cards</h2>
              <ra-cards-table .cards=${p.cards}></ra-cards-table>
              <p>At a workstation with a card reader, <a href="/check-card">check your card</a> for its
                expiry and PIN state.</p>
            </section>
            <section class="card" aria-labelledby="ask-h">
              <h2 id="ask-h">Request a position</h2>
              <ra-position-form form-id="ask" .positions=${this.positions} with-note submit-label="Send request"
                @ra-position-chosen=${this.request}></ra-position-form>
            </section>
            <section class="card" aria-labelledby="mine-h">
              <h2 id="mine-h">Your requests</h2>
              <ra-requests-table .requests=${this.requests}></ra-requests-table>
            </section>`
          : html`<p role="status">Loading…</p>`
      }
    `;
  }
}
customElements.define('ra-my-access-page', RaMyAccessPage);
