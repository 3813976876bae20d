import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import type { RaDialog } from '../components/ra-dialog.ts';
import '../components/ra-dialog.ts';
import '../components/ra-loading.ts';
import { count, dateTime, statusTag } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

type Workstation = Schemas['Workstation'];
type WorkstationEnrolment = Schemas['WorkstationEnrolment'];

const statusWords: Record<Workstation['status'], string> = {
  awaiting_enrolment: 'awaiting enrolment',
  enrolled: 'enrolled',
  revoked: 'revoked',
};

const statusColour: Record<Workstation['status'], string | undefined> = {
  awaiting_enrolment: statusTag.open,
  enrolled: statusTag.active,
  revoked: statusTag.closed,
};

const problem = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/**
 * The workstations that run the reader agent: register one and hand its one-time
 * enrolment code to whoever sets the PC up; give a new code; revoke a lost or retired PC.
 */
export class RaWorkstationsPage extends LitElement {
  static override properties = {
    enrolment: { state: true },
    revoking: { state: true },
    notice: { state: true },
  };
  /** The code just issued: shown once, until the page is left. */
  declare enrolment: WorkstationEnrolment | null;
  declare revoking: Workstation | null;
  /** What the last action on a listed workstation did, or why it failed. */
  declare notice: { text: string; error: boolean } | null;
  private feedback = new FormFeedback(this);

  /** The workstations and the organisations one may be registered for, fetched together. */
  private data = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) => {
      const [list, organisations] = await Promise.all([
        ok(api.GET('/api/workstations', { signal }), signal),
        ok(api.GET('/api/organisations', { signal }), signal),
      ]);
      return {
        workstations: list.items,
        organisations: organisations.items.filter((o) => o.status === 'active'),
      };
    },
  });

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
        overflow-wrap: anywhere;
      }
      .code pre {
        white-space: pre-wrap;
        word-break: break-all;
        background: #f3f2f1;
        padding: 0.5rem;
      }
      input,
      select {
        width: 100%;
      }
      .columns {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
        gap: 0 1rem;
      }
      [tabindex='-1']:focus {
        outline: none;
      }
    `,
  ];

  constructor() {
    super();
    this.enrolment = null;
    this.revoking = null;
    this.notice = null;
  }

  /** Brings what just changed into view, with focus, wherever the person had scrolled to. */
  private async reveal(selector: string) {
    await this.updateComplete;
    const target = this.renderRoot.querySelector<HTMLElement>(selector);
    target?.focus({ preventScroll: true });
    target?.scrollIntoView({ block: 'center' });
  }

  private async register(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.notice = null;
    if (!this.feedback.check(form)) return;
    const data = new FormData(form);
    try {
      this.enrolment = await ok(
        api.POST('/api/workstations', {
          body: {
            name: String(data.get('name') ?? ''),
            location: String(data.get('location') ?? '') || null,
            odsCode: String(data.get('odsCode') ?? ''),
          },
        }),
      );
      this.feedback.clear();
      form.reset();
      void this.data.run();
      await this.reveal('.code');
    } catch (err) {
      this.feedback.showError(err, 'The workstation was not registered. Try again.');
    }
  }

  private async newCode(w: Workstation) {
    this.notice = null;
    this.feedback.clear();
    try {
      this.enrolment = await ok(
        api.POST('/api/workstations/{id}/enrolment-code', { params: { path: { id: w.id } } }),
      );
      void this.data.run();
      await this.reveal('.code');
    } catch (err) {
      this.notice = { text: problem(err, 'No new code was given. Try again.'), error: true };
      await this.reveal('.notice');
    }
  }

  private async askRevoke(w: Workstation) {
    this.revoking = w;
    await this.updateComplete;
    await this.renderRoot.querySelector<RaDialog>('ra-dialog')?.show();
  }

  private async revoke(event: CustomEvent<{ reason: string }>) {
    const w = this.revoking;
    const dialog = event.target as RaDialog;
    if (!w) return;
    try {
      await ok(
        api.POST('/api/workstations/{id}/revoke', {
          params: { path: { id: w.id } },
          body: { reason: event.detail.reason },
        }),
      );
      dialog.close();
      this.revoking = null;
      if (this.enrolment?.workstation.id === w.id) this.enrolment = null;
      this.notice = {
        text: `Workstation "${w.name}" is revoked: its agent can no longer report.`,
        error: false,
      };
      void this.data.run();
      await this.reveal('.notice');
    } catch (err) {
      dialog.fail(problem(err, 'The workstation was not revoked. Try again.'));
    }
  }

  override render() {
    const data = this.data.value;
    return html`
      <h1>Workstations</h1>
      <p class="muted">PCs that run the reader agent. Each reports the cards put in its readers.</p>
      ${
        this.notice
          ? html`<p class="message notice ${this.notice.error ? 'error' : 'success'}" tabindex="-1"
              role=${this.notice.error ? 'alert' : 'status'}>${this.notice.text}</p>`
          : nothing
      }
      ${this.enrolment ? this.renderCode(this.enrolment) : nothing}
      ${
        data
          ? html`${this.renderRegister(data.organisations)}${this.renderList(data.workstations)}`
          : this.data.render({
              pending: () => html`<ra-loading label="Loading workstations…"></ra-loading>`,
              error: (err) =>
                html`<p class="message error" role="alert">${problem(err, 'The workstations could not be loaded.')}</p>`,
            })
      }
      <ra-dialog heading=${this.revoking ? `Revoke ${this.revoking.name}` : 'Revoke'} reasonLabel="Reason"
        confirmLabel="Revoke workstation" danger @confirm=${this.revoke}
        @cancel=${() => {
          this.revoking = null;
        }}>
        <p>Its agent's credential stops working at once. To use the PC again, register it anew.</p>
      </ra-dialog>
    `;
  }

  private control(name: string, id: string) {
    return {
      id,
      invalid: this.feedback.invalid(name) ? 'true' : 'false',
      describedBy: this.feedback.describedBy(name),
    };
  }

  private renderRegister(organisations: Schemas['Organisation'][]) {
    const name = this.control('name', 'name');
    const location = this.control('location', 'location');
    const org = this.control('odsCode', 'odsCode');
    return html`<form class="card" novalidate @submit=${this.register} aria-labelledby="register-h">
      <h2 id="register-h">Register a workstation</h2>
      ${this.feedback.summary()}
      <div class="columns">
        <div><label for="name">Name</label>
          <input id="name" name="name" required maxlength="100" placeholder="AMU desk 1"
            aria-invalid=${name.invalid} aria-describedby=${name.describedBy} />
          ${this.feedback.errorFor('name')}</div>
        <div><label for="location">Location (optional)</label>
          <input id="location" name="location" maxlength="200"
            aria-invalid=${location.invalid} aria-describedby=${location.describedBy} />
          ${this.feedback.errorFor('location')}</div>
        <div><label for="odsCode">Organisation</label>
          <select id="odsCode" name="odsCode" required
            aria-invalid=${org.invalid} aria-describedby=${org.describedBy}>
            <option value="">Choose an organisation</option>
            ${organisations.map((o) => html`<option value=${o.odsCode}>${o.odsCode} ${o.name}</option>`)}
          </select>
          ${this.feedback.errorFor('odsCode')}</div>
      </div>
      <div class="actions"><button type="submit">Register and get a code</button></div>
    </form>`;
  }

  private renderList(workstations: Workstation[]) {
    if (!workstations.length) return html`<p class="muted">No workstations yet.</p>`;
    return html`<h2>${count(workstations.length, 'workstation')}</h2>
      <table class="stack">
      <thead><tr><th scope="col">Workstation</th><th scope="col">Organisation</th><th scope="col">Status</th><th scope="col">Last report</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${workstations.map(
        (w) => html`<tr data-testid="workstation">
          <td data-label="Workstation"><strong>${w.name}</strong>${w.location ? html`<br /><span class="muted">${w.location}</span>` : ''}</td>
          <td data-label="Organisation"><abbr title=${w.organisation.name}>${w.organisation.odsCode}</abbr></td>
          <td data-label="Status"><span class="tag ${statusColour[w.status] ?? ''}">${statusWords[w.status]}</span>
            ${w.status === 'revoked' && w.revokedReason ? html`<br /><span class="muted">${w.revokedReason}</span>` : ''}
            ${w.enrolmentExpiresAt ? html`<br /><span class="muted">code valid until ${dateTime(w.enrolmentExpiresAt)}</span>` : ''}</td>
          <td data-label="Last report">${w.lastSeenAt ? dateTime(w.lastSeenAt) : html`<span class="muted">never</span>`}</td>
          <td>${
            w.status === 'revoked'
              ? ''
              : html`<div class="actions"><button type="button" class="secondary" aria-label="New code for ${w.name}" @click=${() => this.newCode(w)}>New code</button>
                <button type="button" class="secondary" aria-label="Revoke ${w.name}" @click=${() => this.askRevoke(w)}>Revoke</button></div>`
          }</td>
        </tr>`,
      )}</tbody>
    </table>`;
  }

  private renderCode(e: WorkstationEnrolment) {
    const command = `npm run agent -- enrol --server ${window.location.origin} --code ${e.enrolment.code}`;
    return html`<section class="card code" aria-labelledby="code-h" tabindex="-1">
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
}
customElements.define('ra-workstations-page', RaWorkstationsPage);
