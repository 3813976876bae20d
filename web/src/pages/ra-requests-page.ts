import { ContextConsumer } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { MorePages } from '../components/more-pages.ts';
import '../components/ra-loading.ts';
import { count, date, dateTime, statusLabel, statusTag, systemLabels } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

type AccessRequest = Schemas['AccessRequest'];

const message = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/** Requests per call: a screenful; "More" fetches the next, older ones. */
const pageSize = 50;

/**
 * The inbox of requests the user may decide. A request shows a Decide button only when the
 * server says this user may decide it (`actions`): never on one they raised or that is for
 * them, nor on one another reviewer holds. Opening it claims it for 15 minutes and shows
 * what the position grants; then approve it, or reject it with a reason.
 */
export class RaRequestsPage extends LitElement {
  static override properties = {
    status: { state: true },
    open: { state: true },
    notice: { state: true },
    rowError: { state: true },
    reloads: { state: true },
    busy: { state: true },
    gone: { state: true },
  };
  /**
   * The request the address names (`/requests?request=<id>`, as Home links it), opened for a
   * decision once the list has loaded; forgotten then.
   */
  private wanted = new URLSearchParams(window.location.search).get('request');
  /** Said when the request the address named cannot be decided here now. */
  declare gone: string;
  declare status: 'open' | 'decided';
  /** The request claimed and being decided, if any. */
  declare open: AccessRequest | null;
  /** What was just decided, said where the decision was. */
  declare notice: string;
  /** A request that could not be opened, and why: said in its own row. */
  declare rowError: { id: string; message: string } | null;
  /** Bumped to fetch the list again after a decision. */
  declare reloads: number;
  declare busy: boolean;

  /** The older pages, fetched by "More"; a new first page (another filter, a reload) starts again. */
  private readonly more = new MorePages<AccessRequest>(this, (cursor, signal) =>
    ok(
      api.GET('/api/requests', {
        params: { query: { view: 'inbox', status: this.status, limit: pageSize, cursor } },
        signal,
      }),
      signal,
    ),
  );

  private readonly session = new ContextConsumer(this, {
    context: sessionContext,
    subscribe: true,
  });

  /** Whether `w` is the signed-in user, who reads "you", not their own name. */
  private isMe(w: { username: string }) {
    const me = this.session.value?.account.username;
    return !!me && w.username === me;
  }

  /** Who has it open now, or who decided it and when: "Approved by you on 30 Nov 2026". */
  private stateNote(r: AccessRequest) {
    if (r.claim) {
      return this.isMe(r.claim.by) ? 'You are deciding' : `${r.claim.by.displayName} is deciding`;
    }
    if (r.status === 'open' || !r.decidedBy) return '';
    const by = this.isMe(r.decidedBy) ? 'you' : r.decidedBy.displayName;
    return `${statusLabel(r.status)} by ${by}${r.decidedAt ? ` on ${date(r.decidedAt)}` : ''}`;
  }

  /** The reason's control is `reason`; approving sends it as `note`. */
  private readonly feedback = new FormFeedback(this, (path) => (path === 'note' ? 'reason' : path));

  private readonly list = new Task(this, {
    args: () => [this.status, this.reloads] as const,
    task: async ([status], { signal }) => {
      this.more.clear();
      const page = await ok(
        api.GET('/api/requests', {
          params: { query: { view: 'inbox', status, limit: pageSize } },
          signal,
        }),
        signal,
      );
      this.more.startAfter(page.nextCursor);
      if (this.wanted) void this.openWanted(this.wanted, page.items);
      return page;
    },
  });

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
      .grants {
        margin: 0;
        padding-left: 1.25rem;
      }
      .filter {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: end;
      }
      .filter label {
        margin: 0;
      }
      @media (max-width: 40rem) {
        dl {
          grid-template-columns: 1fr;
        }
        dd {
          margin-bottom: 0.5rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.status = 'open';
    this.open = null;
    this.notice = '';
    this.rowError = null;
    this.reloads = 0;
    this.busy = false;
    this.gone = '';
  }

  /**
   * Opens the request the address named, if this user may decide it now. One older than the
   * first page is fetched by its id, so a link to it opens it all the same.
   */
  private async openWanted(id: string, items: AccessRequest[]) {
    this.wanted = null;
    // Done with the address: going back or reloading should not claim it again.
    history.replaceState(history.state, '', window.location.pathname);
    let r = items.find((x) => x.id === id);
    if (!r) {
      try {
        r = await ok(api.GET('/api/requests/{id}', { params: { path: { id } } }));
      } catch (err) {
        // Not found (or not this user's to see) is said below like any request not to decide.
        if (!(err instanceof ApiError && err.status === 404)) {
          this.gone = message(err, 'That request could not be loaded. Try the link again.');
          return;
        }
      }
    }
    if (r?.actions.includes('decide')) {
      await this.claim(r);
      return;
    }
    this.gone = r?.claim
      ? `${r.claim.by.displayName} is deciding that request now.`
      : 'That request does not wait for your decision now: it has been decided or withdrawn, or it is not yours to decide.';
  }

  private workChanged() {
    this.dispatchEvent(new CustomEvent('ra-work-changed', { bubbles: true, composed: true }));
  }

  private async focusOn(selector: string) {
    await this.updateComplete;
    const target = this.renderRoot.querySelector<HTMLElement>(selector);
    target?.focus({ preventScroll: true });
    target?.scrollIntoView({ block: 'start' });
  }

  private async claim(request: AccessRequest) {
    this.notice = '';
    this.gone = '';
    this.rowError = null;
    this.feedback.clear();
    try {
      this.open = await ok(
        api.POST('/api/requests/{id}/claim', { params: { path: { id: request.id } } }),
      );
      await this.focusOn('#decide-h');
    } catch (err) {
      // Said beside the button pressed, not at the top of the page.
      this.rowError = { id: request.id, message: message(err, 'The request could not be opened.') };
      this.reloads++;
    }
  }

  private async decide(kind: 'approve' | 'reject') {
    const open = this.open;
    const form = this.renderRoot.querySelector<HTMLFormElement>('#decision');
    if (!open || !form) return;
    const reason = String(new FormData(form).get('reason') ?? '').trim();
    if (kind === 'reject' && reason.length < 3) {
      this.feedback.show('There is a problem', [
        {
          field: 'reason',
          message: 'Give a reason for rejecting, in a few words: the requester will read it',
        },
      ]);
      return;
    }
    this.busy = true;
    try {
      const path = { params: { path: { id: open.id } } };
      const decided =
        kind === 'approve'
          ? await ok(
              api.POST('/api/requests/{id}/approve', {
                ...path,
                body: reason ? { note: reason } : {},
              }),
            )
          : await ok(api.POST('/api/requests/{id}/reject', { ...path, body: { reason } }));
      this.open = null;
      this.feedback.clear();
      // "Rejected: Ward Clerk" would read as refusing to give it: say what was asked.
      const what =
        decided.kind === 'remove' ? `removal of ${decided.position.name}` : decided.position.name;
      this.notice = `${kind === 'approve' ? 'Approved' : 'Rejected'}: ${what} for ${decided.person.name}.`;
      this.reloads++;
      this.workChanged();
      await this.focusOn('#notice');
    } catch (err) {
      this.feedback.showError(err, 'The decision was not saved. Try again.');
    } finally {
      this.busy = false;
    }
  }

  private setStatus(e: Event) {
    this.status = (e.target as HTMLSelectElement).value as 'open' | 'decided';
    this.rowError = null;
  }

  override render() {
    return html`
      <h1>Requests</h1>
      ${
        this.notice
          ? html`<p id="notice" class="message success" role="status" tabindex="-1">${this.notice}</p>`
          : nothing
      }
      ${this.gone ? html`<p class="message" role="status" data-testid="request-gone">${this.gone}</p>` : nothing}
      ${this.open ? this.renderDecision(this.open) : nothing}
      <div class="filter">
        <label for="status">Show</label>
        <select id="status" @change=${this.setStatus}>
          <option value="open" ?selected=${this.status === 'open'}>Open requests</option>
          <option value="decided" ?selected=${this.status === 'decided'}>Decided in the last 30 days</option>
        </select>
      </div>
      <h2 class="visually-hidden">Requests</h2>
      ${this.list.render({
        pending: () => html`<ra-loading label="Loading requests…"></ra-loading>`,
        error: (err) =>
          html`<div class="message error" role="alert"><p>${message(err, 'The requests could not be loaded.')}</p>
            <button type="button" class="secondary" @click=${() => this.list.run()}>Try again</button></div>`,
        complete: (page) => this.renderList([...page.items, ...this.more.items]),
      })}
    `;
  }

  private renderList(requests: AccessRequest[]) {
    const what = this.status === 'open' ? 'open request' : 'decided request';
    // With more to fetch, the number shown is not how many there are: say so.
    const shown = this.more.cursor
      ? `The ${requests.length} most recently raised ${what}s are shown. There are older ones: More shows up to ${pageSize} of them.`
      : count(requests.length, what);
    return html`<p class="muted" role="status" data-testid="request-count">${shown}</p>
      ${
        requests.length
          ? html`<table class="stack">
              <thead><tr><th scope="col">Person</th><th scope="col">Request</th><th scope="col">Raised</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${requests.map((r) => this.renderRow(r))}</tbody>
            </table>`
          : html`<p>Nothing to show.</p>`
      }
      ${this.more.render()}`;
  }

  private renderRow(r: AccessRequest) {
    const failed = this.rowError?.id === r.id ? this.rowError.message : '';
    return html`<tr data-testid="request">
      <td data-label="Person"><a href="/people/${r.person.id}">${r.person.name}</a><br /><span class="muted">${r.person.userId}</span></td>
      <td data-label="Request">${r.kind === 'assign' ? 'Give' : 'Remove'} <strong>${r.position.name}</strong> <span class="muted">${r.position.odsCode}</span>${r.note ? html`<br />“${r.note}”` : nothing}</td>
      <td data-label="Raised">${dateTime(r.raisedAt)}<br /><span class="muted">by ${r.raisedBy.displayName}</span></td>
      <td data-label="State"><span class="tag ${statusTag[r.status] ?? ''}">${statusLabel(r.status)}</span>${this.stateNote(r) ? html`<br /><span class="muted" data-testid="state-note">${this.stateNote(r)}</span>` : nothing}${r.decisionReason ? html`<br />“${r.decisionReason}”` : nothing}</td>
      <td>${
        r.actions.includes('decide')
          ? html`<button type="button" @click=${() => this.claim(r)} aria-label="Decide the request for ${r.person.name}">Decide</button>`
          : r.status === 'open' && !r.claim
            ? html`<span class="muted">${this.whyNot(r)}</span>`
            : nothing
      }${failed ? html`<p class="field-error" role="alert">${failed}</p>` : nothing}</td>
    </tr>`;
  }

  /** Why an open request has no Decide button for this user. */
  private whyNot(r: AccessRequest): string {
    return r.actions.includes('withdraw')
      ? 'You raised it: someone else decides it'
      : 'Someone else decides it';
  }

  private renderDecision(r: AccessRequest) {
    const f = this.feedback;
    const p = r.position;
    const until = r.claim
      ? new Date(r.claim.until).toLocaleTimeString('en-GB', { timeStyle: 'short' })
      : '';
    return html`<section class="card decide" aria-labelledby="decide-h">
      <h2 id="decide-h" tabindex="-1">Decide: ${r.kind === 'assign' ? 'give' : 'remove'} ${p.name} for ${r.person.name}</h2>
      ${until ? html`<p>Held for you until ${until}; nobody else can decide it meanwhile.</p>` : nothing}
      <dl>
        <dt>Person</dt><dd><a href="/people/${r.person.id}">${r.person.name}</a> (${r.person.userId})</dd>
        <dt>Position</dt><dd>${p.name}, ${p.odsCode}</dd>
        ${
          r.kind === 'assign'
            ? html`<dt>Dates</dt><dd>From ${r.startDate ? date(r.startDate) : 'today'}${r.endDate ? ` to ${date(r.endDate)}` : ', no end date'}</dd>`
            : nothing
        }
        <dt>Raised by</dt><dd>${r.raisedBy.displayName}, ${dateTime(r.raisedAt)}${r.note ? html`: “${r.note}”` : nothing}</dd>
      </dl>
      <h3>What the position grants</h3>
      <dl data-testid="grants">
        <dt>Job roles</dt>
        <dd>${this.renderGrants(p.jobRoles)}</dd>
        <dt>Activities</dt>
        <dd>${this.renderGrants(p.activities)}</dd>
        <dt>Clinical systems</dt>
        <dd>${p.systems.length ? p.systems.map((s) => systemLabels[s] ?? s).join(', ') : html`<span class="muted">None</span>`}</dd>
      </dl>
      <form id="decision" novalidate @submit=${(e: Event) => {
        e.preventDefault();
        void this.decide('approve');
      }}>
        ${f.summary()}
        <label for="reason">Note or reason <span class="hint">Needed to reject; the requester reads it</span></label>
        <textarea id="reason" name="reason" maxlength="500"
          aria-invalid=${f.invalid('reason') ? 'true' : 'false'} aria-describedby=${f.describedBy('reason')}></textarea>
        ${f.errorFor('reason')}
        <div class="actions">
          <button type="submit" ?disabled=${this.busy}>Approve</button>
          <button type="button" class="danger" ?disabled=${this.busy} @click=${() => this.decide('reject')}>Reject</button>
          <button type="button" class="secondary" @click=${() => {
            this.open = null;
            f.clear();
          }}>Cancel</button>
        </div>
      </form>
    </section>`;
  }

  private renderGrants(list: { code: string; name: string }[]) {
    if (!list.length) return html`<span class="muted">None</span>`;
    return html`<ul class="grants">${list.map((g) => html`<li>${g.name} <span class="muted">(${g.code})</span></li>`)}</ul>`;
  }
}
customElements.define('ra-requests-page', RaRequestsPage);
