import { ContextConsumer } from '@lit/context';
import { html, LitElement } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { dateTime, statusLabel, statusTag, words } from '../format.ts';
import { sessionContext } from '../session.ts';
import { shared } from '../styles.ts';
import './ra-dialog.ts';
import type { RaDialog } from './ra-dialog.ts';

type Who = { displayName: string; username?: string };

/**
 * A request as the table shows it: the API's `AccessRequest`, or anything with these
 * fields. Without `actions` (an older caller), no button is offered.
 */
export interface RequestRow {
  id: string;
  kind: 'assign' | 'remove';
  status: 'open' | 'approved' | 'rejected' | 'withdrawn';
  person: { id: string; userId: string; name: string };
  position: { name: string; odsCode: string };
  note: string | null;
  raisedBy: Who;
  raisedAt: string;
  claim: { by: Who; until: string } | null;
  decidedBy: Who | null;
  decidedAt: string | null;
  decisionReason: string | null;
  actions?: Schemas['AccessRequest']['actions'];
}

/**
 * Requests with their state and decision; `show-person` adds the person column. A request
 * the reader raised and may still withdraw (its `actions` say so) gets a Withdraw button;
 * after withdrawing, the row shows the new state and the table fires `ra-request-withdrawn`
 * with the request, so the page can refresh what depends on it.
 */
export class RaRequestsTable extends LitElement {
  static override properties = {
    requests: { attribute: false },
    showPerson: { type: Boolean, attribute: 'show-person' },
    withdrawing: { state: true },
  };
  declare requests: RequestRow[];
  declare showPerson: boolean;
  declare withdrawing: RequestRow | null;
  static override styles = [shared];
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    this.requests = [];
    this.showPerson = false;
    this.withdrawing = null;
  }

  private get dialog() {
    return this.renderRoot.querySelector<RaDialog>('ra-dialog');
  }

  private async askWithdraw(r: RequestRow) {
    this.withdrawing = r;
    await this.updateComplete;
    await this.dialog?.show();
  }

  private async withdraw(event: CustomEvent<{ reason: string }>) {
    const r = this.withdrawing;
    if (!r) return;
    const note = event.detail.reason;
    try {
      const done = await ok(
        api.POST('/api/requests/{id}/withdraw', {
          params: { path: { id: r.id } },
          body: note ? { note } : {},
        }),
      );
      this.dialog?.close();
      this.withdrawing = null;
      this.requests = this.requests.map((x) => (x.id === done.id ? done : x));
      this.dispatchEvent(
        new CustomEvent('ra-request-withdrawn', { detail: done, bubbles: true, composed: true }),
      );
      // Less work waits for whoever would have decided it (the navigation's counts).
      this.dispatchEvent(new CustomEvent('ra-work-changed', { bubbles: true, composed: true }));
    } catch (err) {
      this.dialog?.fail(err instanceof ApiError ? err.message : 'The request was not withdrawn.');
    }
  }

  /** "you" for the signed-in user, their name for anyone else. */
  private who(w: Who) {
    const me = this.session.value?.account.username;
    return me && w.username === me ? 'you' : w.displayName;
  }

  /** Who decided and when: "Withdrawn by you, 30 Nov 2026, 00:40", with their words. */
  private decision(r: RequestRow) {
    if (!r.decidedBy) return '';
    const at = r.decidedAt ? `, ${dateTime(r.decidedAt)}` : '';
    const by =
      r.status === 'withdrawn'
        ? `Withdrawn by ${this.who(r.decidedBy)}`
        : `${words(r.status).replace(/^./, (c) => c.toUpperCase())} by ${this.who(r.decidedBy)}`;
    return html`${by}${at}${r.decisionReason ? html`<br />“${r.decisionReason}”` : ''}`;
  }

  override render() {
    const r0 = this.withdrawing;
    const dialog = html`<ra-dialog heading=${r0 ? `Withdraw the request for ${r0.position.name}?` : 'Withdraw the request?'}
      confirmLabel="Withdraw request" danger @confirm=${this.withdraw}
      @cancel=${() => {
        this.withdrawing = null;
      }}><p>Nobody will decide it. You can ask again later.</p></ra-dialog>`;
    if (!this.requests.length) return html`<p>No requests.</p>${dialog}`;
    return html`<table class="stack">
      <thead><tr>${this.showPerson ? html`<th scope="col">Person</th>` : ''}<th scope="col">Request</th><th scope="col">Raised</th><th scope="col">State</th><th scope="col">Decision</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${this.requests.map(
        (r) => html`<tr data-testid="request">
          ${this.showPerson ? html`<td data-label="Person">${r.person.name}<br /><span class="muted">${r.person.userId}</span></td>` : ''}
          <td data-label="Request">${r.kind === 'assign' ? 'Give' : 'Remove'} <strong>${r.position.name}</strong> <span class="muted">${r.position.odsCode}</span>${r.note ? html`<br /><span class="muted">“${r.note}”</span>` : ''}</td>
          <td data-label="Raised">${dateTime(r.raisedAt)}<br /><span class="muted">by ${r.raisedBy.displayName}</span></td>
          <td data-label="State"><span class="tag ${statusTag[r.status] ?? ''}">${statusLabel(r.status)}</span>${r.claim ? html`<br /><span class="muted">being decided by ${this.who(r.claim.by)}</span>` : ''}</td>
          <td data-label="Decision">${this.decision(r)}</td>
          <td>${
            r.actions?.includes('withdraw')
              ? html`<button type="button" class="secondary" aria-label="Withdraw the request for ${r.position.name}"
                  @click=${() => this.askWithdraw(r)}>Withdraw</button>`
              : ''
          }</td>
        </tr>`,
      )}</tbody>
    </table>${dialog}`;
  }
}
customElements.define('ra-requests-table', RaRequestsTable);
