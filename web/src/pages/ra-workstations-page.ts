import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import type { Workstation, WorkstationEnrolment } from '../api/types.ts';
import { dateTime, statusTag } from '../format.ts';
import { shared } from '../styles.ts';

interface Organisation {
  odsCode: string;
  name: string;
}

const statusWords: Record<Workstation['status'], string> = {
  awaiting_enrolment: 'awaiting enrolment',
  enrolled: 'enrolled',
  revoked: 'revoked',
};

/**
 * The workstations that run the reader agent: register one and hand its one-time
 * enrolment code to whoever sets the PC up; give a new code; revoke a lost or retired PC.
 */
export class RaWorkstationsPage extends LitElement {
  static override properties = {
    workstations: { state: true },
    organisations: { state: true },
    enrolment: { state: true },
    revoking: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  declare workstations: Workstation[];
  declare organisations: Organisation[];
  /** The code just issued: shown once, until the page is left. */
  declare enrolment: WorkstationEnrolment | null;
  declare revoking: Workstation | null;
  declare error: string;
  declare notice: string;

  static override styles = [
    shared,
    css`
      .code {
        border-left: 6px solid var(--ra-blue);
      }
      .code output {
        display: block;
        font: 700 2rem/1.2 ui-monospace, monospace;
        letter-spacing: 0.08em;
        margin: 0.5rem 0;
      }
      .code pre {
        white-space: pre-wrap;
        word-break: break-all;
        background: #f3f2f1;
        padding: 0.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.workstations = [];
    this.organisations = [];
    this.enrolment = null;
    this.revoking = null;
    this.error = '';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const [list, orgs] = await Promise.all([
        api.get<{ items: Workstation[] }>('/api/workstations'),
        api.get<{ items: Organisation[] }>('/api/organisations'),
      ]);
      this.workstations = list.items;
      this.organisations = orgs.items;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The workstations could not be loaded.';
    }
  }

  private async register(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    this.error = '';
    this.notice = '';
    try {
      this.enrolment = await api.post<WorkstationEnrolment>('/api/workstations', {
        name: String(data.get('name') ?? ''),
        location: String(data.get('location') ?? '') || null,
        odsCode: String(data.get('odsCode') ?? ''),
      });
      form.reset();
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The workstation was not registered.';
    }
  }

  private async newCode(w: Workstation) {
    this.error = '';
    this.notice = '';
    try {
      this.enrolment = await api.post<WorkstationEnrolment>(
        `/api/workstations/${w.id}/enrolment-code`,
      );
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'No new code was given.';
    }
  }

  private async revoke(event: SubmitEvent) {
    event.preventDefault();
    const w = this.revoking;
    if (!w) return;
    const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '');
    this.error = '';
    try {
      await api.post(`/api/workstations/${w.id}/revoke`, { reason });
      this.revoking = null;
      if (this.enrolment?.workstation.id === w.id) this.enrolment = null;
      this.notice = `Workstation "${w.name}" is revoked: its agent can no longer report.`;
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The workstation was not revoked.';
    }
  }

  override render() {
    return html`
      <h1>Workstations</h1>
      <p class="muted">PCs that run the reader agent. Each reports the cards put in its readers.</p>
      <div role="status" aria-live="polite">${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}</div>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      ${this.enrolment ? this.renderCode(this.enrolment) : ''}
      ${this.revoking ? this.renderRevoke(this.revoking) : ''}
      <form class="card" @submit=${this.register} aria-labelledby="register-h">
        <h2 id="register-h">Register a workstation</h2>
        <div class="columns">
          <div><label for="ws-name">Name</label><input id="ws-name" name="name" required maxlength="100" placeholder="AMU desk 1" /></div>
          <div><label for="ws-location">Location <span class="hint">optional</span></label><input id="ws-location" name="location" maxlength="200" /></div>
          <div><label for="ws-org">Organisation</label>
            <select id="ws-org" name="odsCode" required>
              ${this.organisations.map((o) => html`<option value=${o.odsCode}>${o.odsCode} ${o.name}</option>`)}
            </select></div>
        </div>
        <div class="actions"><button type="submit">Register and get a code</button></div>
      </form>
      <table>
        <thead><tr><th scope="col">Workstation</th><th scope="col">Organisation</th><th scope="col">Status</th><th scope="col">Last report</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${this.workstations.map(
          (w) => html`<tr data-testid="workstation">
            <td><strong>${w.name}</strong>${w.location ? html`<br /><span class="muted">${w.location}</span>` : ''}</td>
            <td>${w.organisation.odsCode}</td>
            <td><span class="tag ${w.status === 'enrolled' ? statusTag.active : w.status === 'revoked' ? statusTag.closed : statusTag.open}">${statusWords[w.status]}</span>
              ${w.status === 'revoked' && w.revokedReason ? html`<br /><span class="muted">${w.revokedReason}</span>` : ''}
              ${w.enrolmentExpiresAt ? html`<br /><span class="muted">code valid until ${dateTime(w.enrolmentExpiresAt)}</span>` : ''}</td>
            <td>${w.lastSeenAt ? dateTime(w.lastSeenAt) : html`<span class="muted">never</span>`}</td>
            <td>${
              w.status === 'revoked'
                ? ''
                : html`<button type="button" class="secondary" aria-label="New enrolment code for ${w.name}" @click=${() => this.newCode(w)}>New code</button>
                  <button type="button" class="secondary" aria-label="Revoke ${w.name}" @click=${() => {
                    this.revoking = w;
                  }}>Revoke</button>`
            }</td>
          </tr>`,
        )}</tbody>
      </table>
      ${this.workstations.length ? '' : html`<p class="muted">No workstations yet.</p>`}
    `;
  }

  private renderCode(e: WorkstationEnrolment) {
    const command = `npm run agent -- enrol --server ${window.location.origin} --code ${e.enrolment.code}`;
    return html`<section class="card code" aria-labelledby="code-h">
      <h2 id="code-h">Enrolment code for ${e.workstation.name}</h2>
      <output data-testid="enrolment-code" aria-label="Enrolment code">${e.enrolment.code}</output>
      <p>Valid until ${dateTime(e.enrolment.expiresAt)}, once. It will not be shown again: give it to
      whoever sets up the workstation. On the workstation, run:</p>
      <pre data-testid="enrol-command">${command}</pre>
      <button type="button" class="secondary" @click=${() => {
        this.enrolment = null;
      }}>Done</button>
    </section>`;
  }

  private renderRevoke(w: Workstation) {
    return html`<form class="card" @submit=${this.revoke} aria-labelledby="revoke-h">
      <h2 id="revoke-h">Revoke ${w.name}</h2>
      <p>Its agent's credential stops working at once. To use the PC again, register it anew.</p>
      <label for="revoke-reason">Reason</label>
      <input id="revoke-reason" name="reason" required minlength="3" maxlength="500" />
      <div class="actions">
        <button type="submit">Revoke workstation</button>
        <button type="button" class="secondary" @click=${() => {
          this.revoking = null;
        }}>Cancel</button>
      </div>
    </form>`;
  }
}
customElements.define('ra-workstations-page', RaWorkstationsPage);
