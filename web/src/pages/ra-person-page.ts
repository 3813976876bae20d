import { ContextConsumer } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-assignments-table.ts';
import '../components/ra-cards-table.ts';
import '../components/ra-dialog.ts';
import '../components/ra-history.ts';
import type { RaDialog } from '../components/ra-dialog.ts';
import '../components/ra-give-position-form.ts';
import '../components/ra-loading.ts';
import '../components/ra-notification-list.ts';
import '../components/ra-request-pages.ts';
import { date, dateTime, statusLabel, statusTag } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { can, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

type Person = Schemas['Person'];
type PersonForDecider = Schemas['PersonForDecider'];
type Assignment = Schemas['Assignment'];
type PersonAction = Person['actions'][number];

/** What the dialog is asking to confirm. */
type Pending =
  | { kind: 'suspend' | 'reactivate' | 'close' }
  | { kind: 'remove'; assignment: Assignment };

/** Where a message belongs: beside what the person just did, so it is in view. */
type Place = 'top' | 'details' | 'positions';

const fullName = (p: { givenName: string; middleNames: string | null; familyName: string }) =>
  `${p.givenName}${p.middleNames ? ` ${p.middleNames}` : ''} ${p.familyName}`;

/** The dialog's words for each action. */
function dialogWords(pending: Pending, name: string) {
  switch (pending.kind) {
    case 'suspend':
      return {
        heading: `Suspend ${name}`,
        text: 'They keep their positions, but nobody can give them a position or ask for one until they are reactivated.',
        reasonLabel: 'Why are they being suspended?',
        confirmLabel: 'Suspend',
        danger: true,
      };
    case 'reactivate':
      return {
        heading: `Reactivate ${name}`,
        text: 'They become active again, with the positions they hold.',
        reasonLabel: 'Why are they being reactivated?',
        confirmLabel: 'Reactivate',
        danger: false,
      };
    case 'close':
      return {
        heading: `Close ${name}`,
        text: 'Closing is final: every position they hold ends, their open requests are withdrawn, their cards are cancelled (their certificates revoked) and their login stops working. Their record stays, and their user ID is never reused.',
        reasonLabel: 'Why is their record being closed?',
        confirmLabel: 'Close record',
        danger: true,
      };
    case 'remove':
      return {
        heading: `Remove ${pending.assignment.position.name}`,
        text: `${name} loses this position now. The assignment stays on their record as removed.`,
        reasonLabel: 'Why is it being removed?',
        confirmLabel: 'Remove position',
        danger: true,
      };
  }
}

/**
 * A person: details, identity check, positions, cards and requests, with only the actions
 * the server says the user may take (`actions`). Everything is fetched in parallel and the
 * fetch is cancelled if the user moves on.
 */
export class RaPersonPage extends LitElement {
  static override properties = {
    personId: { attribute: 'person-id' },
    editing: { state: true },
    notice: { state: true },
    pending: { state: true },
    historyRevision: { state: true },
  };
  /** The person's id (UUID). */
  declare personId: string;
  declare editing: boolean;
  /** Counts the actions taken here, so the history shows each one without a reload. */
  declare historyRevision: number;
  /** The last success, and where it belongs. */
  declare notice: { place: Place; text: string } | null;
  declare pending: Pending | null;
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  private editFeedback = new FormFeedback(this);

  private data = new Task(this, {
    args: () => [this.personId] as const,
    task: async ([id], { signal }) => {
      if (!id) return null;
      const me = this.session.value;
      const path = { path: { id } };
      const [person, positions] = await Promise.all([
        ok(api.GET('/api/people/{id}', { params: path, signal }), signal),
        can(me, 'assignments:assign-assignable')
          ? ok(api.GET('/api/people/{id}/assignable-positions', { params: path, signal }), signal)
          : Promise.resolve({ items: [] }),
      ]);
      document.title = `${fullName(person)} – Smartcard RA`;
      return { person, positions: positions.items };
    },
  });

  static override styles = [
    shared,
    css`
      .heading {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        /* Buttons wrapped under the name (a phone) keep clear of the first card. */
        margin-bottom: 1rem;
      }
      .heading h1 {
        margin-right: auto;
        margin-bottom: 0;
        overflow-wrap: anywhere;
      }
      .heading .actions {
        margin: 0;
      }
      dd {
        overflow-wrap: anywhere;
        min-width: 0;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(16rem, 100%), 1fr));
        gap: 0 1.25rem;
      }
      .grid input {
        width: 100%;
      }
      details {
        margin-top: 1rem;
      }
      summary {
        cursor: pointer;
        font-weight: 600;
        color: var(--ra-blue);
      }
    `,
  ];

  constructor() {
    super();
    this.personId = '';
    this.editing = false;
    this.notice = null;
    this.pending = null;
    this.historyRevision = 0;
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('personId')) {
      this.editing = false;
      this.notice = null;
      this.editFeedback.clear();
    }
  }

  private say(place: Place, text: string) {
    this.notice = { place, text };
  }

  private noticeFor(place: Place) {
    return this.notice?.place === place
      ? html`<p class="message success" role="status">${this.notice.text}</p>`
      : nothing;
  }

  /** After an action: the person again, and their history with the action in it. */
  private async refresh() {
    this.historyRevision += 1;
    await this.data.run();
  }

  private async ask(pending: Pending) {
    this.notice = null;
    this.pending = pending;
    await this.updateComplete;
    await this.renderRoot.querySelector<RaDialog>('ra-dialog')?.show();
  }

  private async confirm(event: CustomEvent<{ reason: string }>, person: Person) {
    const dialog = event.target as RaDialog;
    const pending = this.pending;
    if (!pending) return;
    const reason = event.detail.reason;
    const params = { path: { id: person.id } };
    const name = fullName(person);
    try {
      if (pending.kind === 'remove') {
        await ok(
          api.POST('/api/people/{id}/assignments/{assignmentId}/remove', {
            params: { path: { id: person.id, assignmentId: pending.assignment.id } },
            body: { note: reason },
          }),
        );
        this.say('positions', `${pending.assignment.position.name} removed from ${name}.`);
      } else {
        const route = {
          suspend: '/api/people/{id}/suspend',
          reactivate: '/api/people/{id}/reactivate',
          close: '/api/people/{id}/close',
        } as const;
        await ok(api.POST(route[pending.kind], { params, body: { reason } }));
        const done = { suspend: 'suspended', reactivate: 'active again', close: 'closed' };
        this.say('top', `${name} is ${done[pending.kind]}.`);
      }
      dialog.close();
      this.pending = null;
      await this.refresh();
    } catch (err) {
      const problems = err instanceof ApiError ? err.fieldProblems : [];
      dialog.fail(
        problems.length
          ? problems.map((p) => p.message).join('; ')
          : err instanceof ApiError
            ? err.message
            : 'That did not work. Try again.',
      );
    }
  }

  private async saveDetails(event: SubmitEvent, person: Person) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    if (!this.editFeedback.check(form)) return;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    // Only what changed is sent; an optional field emptied is cleared.
    const body: Schemas['UpdatePerson'] = {};
    const required = ['givenName', 'familyName', 'dateOfBirth'] as const;
    for (const k of required) if (text(k) !== person[k]) body[k] = text(k);
    const optional = ['middleNames', 'nameOnCard', 'email', 'phone'] as const;
    for (const k of optional) if (text(k) !== (person[k] ?? '')) body[k] = text(k) || null;
    if (Object.keys(body).length === 0) {
      this.editing = false;
      this.say('details', 'Nothing was changed.');
      return;
    }
    try {
      await ok(api.PATCH('/api/people/{id}', { params: { path: { id: person.id } }, body }));
      this.editing = false;
      this.editFeedback.clear();
      this.say('details', 'Details saved.');
      await this.refresh();
    } catch (err) {
      this.editFeedback.showError(err);
    }
  }

  override render() {
    return this.data.render({
      initial: () => html`<ra-loading></ra-loading>`,
      // Reloading after an action keeps the page in place; another person's page does not.
      pending: () =>
        this.data.value?.person.id === this.personId
          ? this.renderData(this.data.value)
          : html`<ra-loading></ra-loading>`,
      error: (err) =>
        html`<p><a href="/people">← People</a></p>
          <p class="message error" role="alert">${err instanceof ApiError ? err.message : 'This person could not be loaded.'}</p>`,
      complete: (value) => (value ? this.renderData(value) : nothing),
    });
  }

  private renderData(value: NonNullable<typeof this.data.value>) {
    const { person, positions } = value;
    if (person.view === 'decider') return this.renderForDecider(person);
    const me = this.session.value;
    const may = (action: PersonAction) => person.actions.includes(action);
    const name = fullName(person);
    return html`
      <p><a href="/people">← People</a></p>
      <div class="heading">
        <h1>${name}</h1>
        <div class="actions">
          ${may('edit') && !this.editing ? html`<button type="button" class="secondary" @click=${() => this.startEditing()}>Edit details</button>` : nothing}
          ${may('reactivate') ? html`<button type="button" @click=${() => this.ask({ kind: 'reactivate' })}>Reactivate</button>` : nothing}
          ${may('suspend') ? html`<button type="button" class="secondary" @click=${() => this.ask({ kind: 'suspend' })}>Suspend</button>` : nothing}
          ${may('close') ? html`<button type="button" class="danger" @click=${() => this.ask({ kind: 'close' })}>Close record</button>` : nothing}
          ${may('issueCard') ? html`<a class="button" href="/people/${person.id}/issue-card">Issue a card</a>` : nothing}
        </div>
      </div>
      ${this.noticeFor('top')}
      <section class="card" aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        ${this.noticeFor('details')}
        ${this.editing ? this.renderEditForm(person) : this.renderDetails(person)}
      </section>
      <section class="card" aria-labelledby="id-h">
        <h2 id="id-h">Identity check</h2>
        ${
          person.identityCheck
            ? html`<p>Checked by ${person.identityCheck.checkedBy}, ${dateTime(person.identityCheck.checkedAt)}.</p>
                ${person.identityCheck.overrideReason ? html`<p class="message">Possible duplicate overridden: “${person.identityCheck.overrideReason}”</p>` : nothing}
                <ul>${person.identityCheck.documents.map((d) => html`<li>${d.label} (${d.issuingCountry}${d.expiresOn ? `, expires ${date(d.expiresOn)}` : ''})</li>`)}</ul>`
            : html`<p>Not checked yet.</p>${may('recordIdentityCheck') ? html`<p><a href="/register?person=${person.id}">Record the identity check</a></p>` : nothing}`
        }
      </section>
      <section class="card" aria-labelledby="pos-h">
        <h2 id="pos-h">Positions</h2>
        ${this.noticeFor('positions')}
        <ra-assignments-table .assignments=${person.assignments} can-remove
          @ra-remove-assignment=${(e: CustomEvent<Assignment>) => this.ask({ kind: 'remove', assignment: e.detail })}></ra-assignments-table>
        ${this.renderGiving(person, positions)}
      </section>
      ${
        can(me, 'cards:read')
          ? html`<section class="card" aria-labelledby="cards-h">
        <h2 id="cards-h">Cards</h2>
        <ra-cards-table .cards=${person.cards}></ra-cards-table>
        ${person.cards.some((c) => c.openFlags.length) ? html`<p><a href="/card-flags">What to do about flags</a></p>` : nothing}
      </section>`
          : nothing
      }
      <section class="card" aria-labelledby="req-h">
        <h2 id="req-h">Requests</h2>
        ${this.renderRequests(person.id)}
      </section>
      <section class="card" aria-labelledby="notices-h">
        <h2 id="notices-h">Notifications</h2>
        <ra-notification-list person-id=${person.id}></ra-notification-list>
      </section>
      ${this.renderDialog(person)}
      <ra-history subject-type="person" subject-id=${person.id} .revision=${this.historyRevision}></ra-history>
    `;
  }

  private async startEditing() {
    this.notice = null;
    this.editFeedback.clear();
    this.editing = true;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#givenName')?.focus();
  }

  private renderDetails(p: Person) {
    return html`<dl>
      <dt>User ID</dt><dd data-testid="user-id">${p.userId}</dd>
      <dt>Status</dt><dd><span class="tag ${statusTag[p.status] ?? ''}" data-testid="person-status">${statusLabel(p.status)}</span></dd>
      <dt>Date of birth</dt><dd>${date(p.dateOfBirth)}</dd>
      <dt>Name on card</dt><dd>${p.nameOnCard ?? html`<span class="muted">as legal name</span>`}</dd>
      <dt>Work email</dt><dd>${p.email ?? html`<span class="muted">none</span>`}</dd>
      <dt>Phone</dt><dd>${p.phone ?? html`<span class="muted">none</span>`}</dd>
      <dt>Organisations</dt><dd>${p.organisations.map((o) => `${o.odsCode} ${o.name}`).join('; ')}</dd>
      <dt>Login</dt><dd>${p.username ?? html`<span class="muted">none</span>`}</dd>
    </dl>`;
  }

  private renderEditForm(p: Person) {
    const f = this.editFeedback;
    const field = (
      name: 'givenName' | 'middleNames' | 'familyName' | 'nameOnCard' | 'email' | 'phone',
      label: string,
      options: { type?: string; required?: boolean; max?: number; hint?: string } = {},
    ) => html`<div>
      <label for=${name}>${label}${options.hint ? html` <span class="hint">${options.hint}</span>` : nothing}</label>
      <input id=${name} name=${name} type=${options.type ?? 'text'} .value=${p[name] ?? ''}
        ?required=${options.required ?? false} maxlength=${options.max ?? 100} autocomplete="off"
        pattern=${name === 'phone' ? String.raw`[0-9 +\(\)\-]{6,20}` : nothing}
        title=${name === 'phone' ? 'Enter a phone number, like 01727 123456' : nothing}
        aria-invalid=${f.invalid(name) ? 'true' : 'false'} aria-describedby=${f.describedBy(name)} />
      ${f.errorFor(name)}
    </div>`;
    return html`<form novalidate @submit=${(e: SubmitEvent) => this.saveDetails(e, p)}>
      ${f.summary()}
      <div class="grid">
        ${field('givenName', 'Given name', { required: true })}
        ${field('middleNames', 'Middle names')}
        ${field('familyName', 'Family name', { required: true })}
        ${field('nameOnCard', 'Name on card', { max: 60, hint: 'If different' })}
        <div>
          <label for="dateOfBirth">Date of birth</label>
          <input id="dateOfBirth" name="dateOfBirth" type="date" required .value=${p.dateOfBirth}
            max=${new Date().toLocaleDateString('en-CA')} data-error="Enter a date of birth in the past"
            aria-invalid=${f.invalid('dateOfBirth') ? 'true' : 'false'} aria-describedby=${f.describedBy('dateOfBirth')} />
          ${f.errorFor('dateOfBirth')}
        </div>
        ${field('email', 'Work email', { type: 'email', max: 254 })}
        ${field('phone', 'Phone', { type: 'tel', max: 20 })}
      </div>
      <div class="actions">
        <button type="submit">Save details</button>
        <button type="button" class="secondary" @click=${() => {
          this.editing = false;
          f.clear();
        }}>Cancel</button>
      </div>
    </form>`;
  }

  /** Assigning and requesting: only what the server offers, and only if it offers any. */
  private renderGiving(person: Person, positions: Schemas['AssignablePosition'][]) {
    const offers = (mode: 'assign' | 'request') =>
      person.actions.includes(mode === 'assign' ? 'assignPosition' : 'requestPosition') &&
      positions.some((p) => p.actions.includes(mode));
    const name = fullName(person);
    const form = (mode: 'assign' | 'request') =>
      html`<ra-give-position-form mode=${mode} person-id=${person.id} person-name=${name}
        .positions=${positions} @ra-position-given=${() => this.refresh()}></ra-give-position-form>`;
    return html`
      ${offers('assign') ? html`<details><summary>Assign a position</summary>${form('assign')}</details>` : nothing}
      ${offers('request') ? html`<details><summary>Request a position</summary>${form('request')}</details>` : nothing}
    `;
  }

  private renderDialog(person: Person) {
    const pending = this.pending;
    const w = pending ? dialogWords(pending, fullName(person)) : null;
    return html`<ra-dialog heading=${w?.heading ?? ''} reasonLabel=${w?.reasonLabel ?? ''}
      confirmLabel=${w?.confirmLabel ?? 'Confirm'} ?danger=${w?.danger ?? false}
      @confirm=${(e: CustomEvent<{ reason: string }>) => this.confirm(e, person)}
      @cancel=${() => {
        this.pending = null;
      }}>${w ? html`<p>${w.text}</p>` : nothing}</ra-dialog>`;
  }

  /** The person's requests, however old, a page at a time; fetched again after an action here. */
  private renderRequests(id: string) {
    const view = can(this.session.value, 'requests:decide') ? 'inbox' : 'mine';
    return html`<ra-request-pages view=${view} person-id=${id} .revision=${this.historyRevision}></ra-request-pages>`;
  }

  /** A person seen only as the subject of a request this user decides. */
  private renderForDecider(p: PersonForDecider) {
    return html`
      <p><a href="/requests">← Requests</a></p>
      <h1>${fullName(p)}</h1>
      <p class="message">You see this person because they asked for a position you decide: what deciding needs, nothing more.</p>
      <section class="card" aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        <dl>
          <dt>User ID</dt><dd data-testid="user-id">${p.userId}</dd>
          <dt>Status</dt><dd><span class="tag ${statusTag[p.status] ?? ''}" data-testid="person-status">${statusLabel(p.status)}</span></dd>
          <dt>Organisations</dt><dd>${p.organisations.map((o) => `${o.odsCode} ${o.name}`).join('; ')}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="pos-h">
        <h2 id="pos-h">Positions held</h2>
        <ra-assignments-table .assignments=${p.assignments}></ra-assignments-table>
      </section>
      <section class="card" aria-labelledby="req-h">
        <h2 id="req-h">Requests</h2>
        ${this.renderRequests(p.id)}
      </section>
      <ra-history subject-type="person" subject-id=${p.id} .revision=${this.historyRevision}></ra-history>
    `;
  }
}
customElements.define('ra-person-page', RaPersonPage);
