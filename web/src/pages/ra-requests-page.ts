import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type { AccessRequest, Page } from '../api/types.ts';
import { dateTime, statusTag, words } from '../format.ts';
import { shared } from '../styles.ts';

/**
 * The inbox of requests the user may decide. Opening one claims it for 15 minutes;
 * then approve it, or reject it with a reason.
 */
export class RaRequestsPage extends LitElement {
  static override properties = {
    requests: { state: true },
    status: { state: true },
    open: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  declare requests: AccessRequest[];
  declare status: 'open' | 'decided';
  /** The request claimed and being decided, if any. */
  declare open: AccessRequest | null;
  declare error: string;
  declare notice: string;

  static override styles = [
    shared,
    css`
      .decide {
        border-left: 6px solid var(--ra-blue);
      }
      textarea {
        width: 100%;
        min-height: 4rem;
      }
    `,
  ];

  constructor() {
    super();
    this.requests = [];
    this.status = 'open';
    this.open = null;
    this.error = '';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const page = await api.get<Page<AccessRequest>>(
        `/api/requests${query({ view: 'inbox', status: this.status })}`,
      );
      this.requests = page.items;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The requests could not be loaded.';
    }
  }

  private async claim(request: AccessRequest) {
    this.error = '';
    this.notice = '';
    try {
      this.open = await api.post<AccessRequest>(`/api/requests/${request.id}/claim`);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#decide-h')?.focus();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The request could not be opened.';
    }
  }

  private async decide(kind: 'approve' | 'reject') {
    if (!this.open) return;
    const reason = (
      this.renderRoot.querySelector<HTMLTextAreaElement>('#reason')?.value ?? ''
    ).trim();
    if (kind === 'reject' && reason.length < 3) {
      this.error = 'Give a reason for rejecting: the requester will read it.';
      return;
    }
    try {
      const decided = await api.post<AccessRequest>(
        `/api/requests/${this.open.id}/${kind}`,
        kind === 'approve' ? (reason ? { note: reason } : {}) : { reason },
      );
      this.notice = `${kind === 'approve' ? 'Approved' : 'Rejected'}: ${decided.position.name} for ${decided.person.name}.`;
      this.open = null;
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The decision was not saved.';
    }
  }

  private setStatus(e: Event) {
    this.status = (e.target as HTMLSelectElement).value as 'open' | 'decided';
    void this.load();
  }

  override render() {
    return html`
      <h1>Requests</h1>
      <div role="status" aria-live="polite">${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}</div>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      ${this.open ? this.renderDecision(this.open) : ''}
      <label for="status">Show</label>
      <select id="status" @change=${this.setStatus}>
        <option value="open">Open requests</option>
        <option value="decided">Decided in the last 30 days</option>
      </select>
      <h2 class="visually-hidden">Requests</h2>
      ${
        this.requests.length
          ? html`<table>
              <thead><tr><th scope="col">Person</th><th scope="col">Request</th><th scope="col">Raised</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${this.requests.map(
                (r) => html`<tr data-testid="request">
                  <td><a href="/people/${r.person.id}">${r.person.name}</a><br /><span class="muted">${r.person.userId}</span></td>
                  <td>${r.kind === 'assign' ? 'Give' : 'Remove'} <strong>${r.position.name}</strong> <span class="muted">${r.position.odsCode}</span>${r.note ? html`<br />“${r.note}”` : ''}</td>
                  <td>${dateTime(r.raisedAt)}<br /><span class="muted">by ${r.raisedBy.displayName}</span></td>
                  <td><span class="tag ${statusTag[r.status] ?? ''}">${words(r.status)}</span>${r.claim ? html`<br /><span class="muted">${r.claim.by.displayName} is deciding</span>` : ''}${r.decisionReason ? html`<br />“${r.decisionReason}”` : ''}</td>
                  <td>${r.status === 'open' ? html`<button type="button" @click=${() => this.claim(r)} aria-label="Decide the request for ${r.person.name}">Decide</button>` : ''}</td>
                </tr>`,
              )}</tbody>
            </table>`
          : html`<p>Nothing to show.</p>`
      }
    `;
  }

  private renderDecision(r: AccessRequest) {
    return html`<section class="card decide" aria-labelledby="decide-h">
      <h2 id="decide-h" tabindex="-1">Decide: ${r.kind === 'assign' ? 'give' : 'remove'} ${r.position.name} for ${r.person.name}</h2>
      <p>Held for you until ${r.claim ? new Date(r.claim.until).toLocaleTimeString('en-GB', { timeStyle: 'short' }) : ''}; nobody else can decide it meanwhile.</p>
      <dl>
        <dt>Person</dt><dd><a href="/people/${r.person.id}">${r.person.name}</a> (${r.person.userId})</dd>
        <dt>Position</dt><dd>${r.position.name}, ${r.position.odsCode}</dd>
        <dt>From</dt><dd>${r.startDate ?? 'today'}${r.endDate ? ` to ${r.endDate}` : ''}</dd>
        <dt>Raised by</dt><dd>${r.raisedBy.displayName}${r.note ? html`: “${r.note}”` : ''}</dd>
      </dl>
      <label for="reason">Note or reason <span class="hint">Needed to reject; the requester reads it</span></label>
      <textarea id="reason" maxlength="500"></textarea>
      <div class="actions">
        <button type="button" @click=${() => this.decide('approve')}>Approve</button>
        <button type="button" class="danger" @click=${() => this.decide('reject')}>Reject</button>
        <button type="button" class="secondary" @click=${() => {
          this.open = null;
        }}>Cancel</button>
      </div>
    </section>`;
  }
}
customElements.define('ra-requests-page', RaRequestsPage);
