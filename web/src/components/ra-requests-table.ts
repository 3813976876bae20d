import { html, LitElement } from 'lit';
import type { AccessRequest } from '../api/types.ts';
import { dateTime, statusTag, words } from '../format.ts';
import { shared } from '../styles.ts';

/** Requests with their state and decision; `show-person` adds the person column. */
export class RaRequestsTable extends LitElement {
  static override properties = {
    requests: { attribute: false },
    showPerson: { type: Boolean, attribute: 'show-person' },
  };
  declare requests: AccessRequest[];
  declare showPerson: boolean;
  static override styles = [shared];

  constructor() {
    super();
    this.requests = [];
    this.showPerson = false;
  }

  override render() {
    if (!this.requests.length) return html`<p>No requests.</p>`;
    return html`<table>
      <thead><tr>${this.showPerson ? html`<th scope="col">Person</th>` : ''}<th scope="col">Request</th><th scope="col">Raised</th><th scope="col">State</th><th scope="col">Decision</th></tr></thead>
      <tbody>${this.requests.map(
        (r) => html`<tr data-testid="request">
          ${this.showPerson ? html`<td>${r.person.name}<br /><span class="muted">${r.person.userId}</span></td>` : ''}
          <td>${r.kind === 'assign' ? 'Give' : 'Remove'} <strong>${r.position.name}</strong> <span class="muted">${r.position.odsCode}</span>${r.note ? html`<br /><span class="muted">“${r.note}”</span>` : ''}</td>
          <td>${dateTime(r.raisedAt)}<br /><span class="muted">by ${r.raisedBy.displayName}</span></td>
          <td><span class="tag ${statusTag[r.status] ?? ''}">${words(r.status)}</span>${r.claim ? html`<br /><span class="muted">being decided by ${r.claim.by.displayName}</span>` : ''}</td>
          <td>${r.decidedBy ? html`${r.decidedBy.displayName}${r.decidedAt ? html`, ${dateTime(r.decidedAt)}` : ''}${r.decisionReason ? html`<br />“${r.decisionReason}”` : ''}` : ''}</td>
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-requests-table', RaRequestsTable);
