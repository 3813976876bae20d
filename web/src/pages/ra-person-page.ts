import { ContextConsumer } from '@lit/context';
import { html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type {
  AccessRequest,
  Assignment,
  Page,
  PersonForDecider,
  PersonView,
  Position,
} from '../api/types.ts';
import '../components/ra-assignments-table.ts';
import '../components/ra-cards-table.ts';
import type { PositionChoice } from '../components/ra-position-form.ts';
import '../components/ra-position-form.ts';
import '../components/ra-requests-table.ts';
import { date, dateTime, statusTag, words } from '../format.ts';
import { can, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

/** Positions a person of these organisations can hold: their trust's, by ODS prefix. */
export function positionsFor(positions: Position[], odsCodes: string[]): Position[] {
  const trusts = new Set(odsCodes.map((c) => c.slice(0, 3)));
  return positions.filter((p) => p.status === 'active' && trusts.has(p.odsCode.slice(0, 3)));
}

/** A person: details, identity check, positions, cards and requests, with the actions the user may take. */
export class RaPersonPage extends LitElement {
  static override properties = {
    personId: { attribute: 'person-id' },
    person: { state: true },
    requests: { state: true },
    positions: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  /** The person's id (UUID). */
  declare personId: string;
  declare person: PersonView | null;
  declare requests: AccessRequest[];
  declare positions: Position[];
  declare error: string;
  declare notice: string;
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  static override styles = [shared];

  constructor() {
    super();
    this.personId = '';
    this.person = null;
    this.requests = [];
    this.positions = [];
    this.error = '';
    this.notice = '';
  }

  override updated(changed: Map<string, unknown>) {
    if (changed.has('personId') && this.personId) void this.load();
  }

  private async load() {
    try {
      this.person = await api.get<PersonView>(`/api/people/${this.personId}`);
      const me = this.session.value;
      const view = can(me, 'requests:decide') ? 'inbox' : 'mine';
      this.requests = (
        await api.get<Page<AccessRequest>>(
          `/api/requests${query({ view, personId: this.personId })}`,
        )
      ).items;
      if (can(me, 'positions:read')) {
        const all = await api.get<{ items: Position[] }>('/api/positions?status=active');
        this.positions = positionsFor(
          all.items,
          this.person.organisations.map((o) => o.odsCode),
        );
      }
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'This person could not be loaded.';
    }
  }

  private async act(action: () => Promise<unknown>, notice: string) {
    this.error = '';
    this.notice = '';
    try {
      await action();
      this.notice = notice;
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'That did not work.';
    }
  }

  private assign(e: CustomEvent<PositionChoice>) {
    const { note: _note, ...choice } = e.detail;
    void this.act(
      () => api.post(`/api/people/${this.personId}/assignments`, choice),
      'Position assigned.',
    );
  }

  private request(e: CustomEvent<PositionChoice>) {
    void this.act(
      () => api.post('/api/requests', { kind: 'assign', personId: this.personId, ...e.detail }),
      'Request raised: a sponsor or the RA team will decide it.',
    );
  }

  private removeAssignment(e: CustomEvent<Assignment>) {
    const note = prompt(`Why is "${e.detail.position.name}" being removed?`);
    if (!note) return;
    void this.act(
      () => api.post(`/api/people/${this.personId}/assignments/${e.detail.id}/remove`, { note }),
      'Position removed.',
    );
  }

  override render() {
    const p = this.person;
    const me = this.session.value;
    if (!p)
      return html`${this.error ? html`<p class="message error" role="alert">${this.error}</p>` : html`<p role="status">Loading…</p>`}`;
    if (p.view === 'decider') return this.renderForDecider(p);
    return html`
      <p><a href="/people">← People</a></p>
      <h1>${p.givenName}${p.middleNames ? ` ${p.middleNames}` : ''} ${p.familyName}</h1>
      <div role="status" aria-live="polite">${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}</div>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      <section class="card" aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        <dl>
          <dt>User ID</dt><dd data-testid="user-id">${p.userId}</dd>
          <dt>Status</dt><dd><span class="tag ${statusTag[p.status] ?? ''}" data-testid="person-status">${words(p.status)}</span></dd>
          <dt>Date of birth</dt><dd>${date(p.dateOfBirth)}</dd>
          <dt>Name on card</dt><dd>${p.nameOnCard ?? html`<span class="muted">as legal name</span>`}</dd>
          <dt>Work email</dt><dd>${p.email ?? ''}</dd>
          <dt>Phone</dt><dd>${p.phone ?? ''}</dd>
          <dt>Organisations</dt><dd>${p.organisations.map((o) => `${o.odsCode} ${o.name}`).join('; ')}</dd>
          <dt>Login</dt><dd>${p.username ?? html`<span class="muted">none</span>`}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="id-h">
        <h2 id="id-h">Identity check</h2>
        ${
          p.identityCheck
            ? html`<p>Checked by ${p.identityCheck.checkedBy}, ${dateTime(p.identityCheck.checkedAt)}.</p>
                ${p.identityCheck.overrideReason ? html`<p class="message">Possible duplicate overridden: “${p.identityCheck.overrideReason}”</p>` : ''}
                <ul>${p.identityCheck.documents.map((d) => html`<li>${d.label} (${d.issuingCountry}${d.expiresOn ? `, expires ${date(d.expiresOn)}` : ''})</li>`)}</ul>`
            : html`<p>Not checked yet.</p>${can(me, 'people:register') ? html`<p><a href="/register?person=${p.id}">Record the identity check</a></p>` : ''}`
        }
      </section>
      <section class="card" aria-labelledby="pos-h">
        <h2 id="pos-h">Positions</h2>
        <ra-assignments-table .assignments=${p.assignments} ?can-remove=${can(me, 'assignments:manage')}
          @ra-remove-assignment=${this.removeAssignment}></ra-assignments-table>
        ${
          p.status === 'active' && this.positions.length
            ? html`
                ${
                  can(me, 'assignments:assign-assignable')
                    ? html`<details><summary>Assign a position</summary>
                  <ra-position-form form-id="assign" .positions=${can(me, 'assignments:manage') ? this.positions : this.positions.filter((x) => x.assignable)}
                    submit-label="Assign" @ra-position-chosen=${this.assign}></ra-position-form></details>`
                    : ''
                }
                ${
                  can(me, 'requests:raise')
                    ? html`<details><summary>Request a position</summary>
                  <ra-position-form form-id="request" .positions=${this.positions} with-note submit-label="Raise request"
                    @ra-position-chosen=${this.request}></ra-position-form></details>`
                    : ''
                }`
            : ''
        }
      </section>
      ${
        can(me, 'cards:read')
          ? html`<section class="card" aria-labelledby="cards-h">
        <h2 id="cards-h">Cards</h2>
        <ra-cards-table .cards=${p.cards}></ra-cards-table>
        ${p.cards.some((c) => c.openFlags.length) ? html`<p><a href="/card-flags">What to do about flags</a></p>` : ''}
      </section>`
          : ''
      }
      <section class="card" aria-labelledby="req-h">
        <h2 id="req-h">Requests</h2>
        <ra-requests-table .requests=${this.requests}></ra-requests-table>
      </section>
    `;
  }

  /** A person seen only as the subject of a request this user decides. */
  private renderForDecider(p: PersonForDecider) {
    return html`
      <p><a href="/requests">← Requests</a></p>
      <h1>${p.givenName}${p.middleNames ? ` ${p.middleNames}` : ''} ${p.familyName}</h1>
      <p class="message">You see this person because they asked for a position you decide: what deciding needs, nothing more.</p>
      <section class="card" aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        <dl>
          <dt>User ID</dt><dd data-testid="user-id">${p.userId}</dd>
          <dt>Status</dt><dd><span class="tag ${statusTag[p.status] ?? ''}" data-testid="person-status">${words(p.status)}</span></dd>
          <dt>Organisations</dt><dd>${p.organisations.map((o) => `${o.odsCode} ${o.name}`).join('; ')}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="pos-h">
        <h2 id="pos-h">Positions held</h2>
        <ra-assignments-table .assignments=${p.assignments}></ra-assignments-table>
      </section>
      <section class="card" aria-labelledby="req-h">
        <h2 id="req-h">Requests</h2>
        <ra-requests-table .requests=${this.requests}></ra-requests-table>
      </section>
    `;
  }
}
customElements.define('ra-person-page', RaPersonPage);
