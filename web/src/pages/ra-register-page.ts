import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { checkListStyles } from '../components/ra-check-list.ts';
import '../components/ra-check-list.ts';
import '../components/ra-loading.ts';
import { date, dateTime } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { navigate } from '../router.ts';
import { shared } from '../styles.ts';

type DocumentType = Schemas['DocumentType'];
type Category = DocumentType['category'];

/** How the page names each group of documents, in the order e-GIF counts them. */
const categoryLabels: Record<Category, string> = {
  photo_id: 'Photo ID',
  proof_of_address: 'Proof of address',
  other: 'Other',
};

/** The rows start as the usual three: a photo ID, a proof of address and one more. */
const defaultTypes = ['passport', 'utility_bill', 'birth_certificate'];

// The browser checks these formats before sending, in the words of `title`.
const phonePattern = String.raw`[0-9 +\(\)\-]{6,20}`;
const usernamePattern = String.raw`[a-z0-9\._\-]{3,64}`;

interface Registered {
  id: string;
  userId: string;
  activation: { username: string; code: string; expiresAt: string } | null;
}

const today = () => new Date().toLocaleDateString('en-CA');

/**
 * Register a person, then record the identity documents seen in person. Every problem shows
 * at once, beside its field and in a summary; a possible duplicate is shown with the
 * server's words, and needs a reason to go on. With `?person=<id>`, only the identity check
 * of someone already registered.
 */
export class RaRegisterPage extends LitElement {
  static override properties = {
    step: { state: true },
    registered: { state: true },
    duplicate: { state: true },
    rows: { state: true },
    sending: { state: true },
  };
  declare step: 'details' | 'documents' | 'done';
  declare registered: Registered | null;
  /** The server's word on a possible duplicate, while the user decides. */
  declare duplicate: string;
  declare rows: number;
  declare sending: boolean;
  private feedback = new FormFeedback(this);
  /** The person whose identity is checked, when the page opened for one. */
  private existingId = new URLSearchParams(window.location.search).get('person');

  /** The organisations the caller may register people in: the only ones the form offers. */
  private organisations = new Task(this, {
    args: () => [this.step === 'details'] as const,
    task: async ([needed], { signal }) => {
      if (!needed) return null;
      return (await ok(api.GET('/api/registration-organisations', { signal }), signal)).items;
    },
  });

  /**
   * What the documents step needs: the document types the server accepts, and the person
   * when the page opened for one already registered. In parallel; cancelled if the user
   * leaves.
   */
  private documentsData = new Task(this, {
    args: () => [this.step !== 'details', this.existingId] as const,
    task: async ([needed, existing], { signal }) => {
      if (!needed && !existing) return null;
      const [types, person] = await Promise.all([
        ok(api.GET('/api/document-types', { signal }), signal),
        existing
          ? ok(api.GET('/api/people/{id}', { params: { path: { id: existing } }, signal }), signal)
          : Promise.resolve(null),
      ]);
      if (person && !this.registered) {
        this.registered = { id: person.id, userId: person.userId, activation: null };
        this.step = 'documents';
      }
      return { types: types.items, person };
    },
  });

  static override styles = [
    shared,
    checkListStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(16rem, 100%), 1fr));
        gap: 0 1.25rem;
      }
      .grid input,
      .grid select {
        width: 100%;
      }
      fieldset {
        border: 1px solid var(--ra-border);
        border-radius: 4px;
        margin: 0 0 1rem;
        padding: 0.5rem 1rem 1rem;
        min-width: 0;
      }
      fieldset.documents {
        border: none;
        padding: 0;
      }
      legend {
        font-weight: 700;
      }
      .code {
        font-family: ui-monospace, monospace;
        font-size: 1.5rem;
        letter-spacing: 0.15em;
        overflow-wrap: anywhere;
      }
    `,
  ];

  constructor() {
    super();
    this.step = this.existingId ? 'documents' : 'details';
    this.registered = null;
    this.duplicate = '';
    this.rows = 3;
    this.sending = false;
  }

  override firstUpdated() {
    // The tab names the page as its heading does.
    if (this.existingId) {
      this.dispatchEvent(
        new CustomEvent('ra-page-title', {
          detail: 'Record an identity check',
          bubbles: true,
          composed: true,
        }),
      );
    }
  }

  private fail(err: unknown) {
    this.duplicate =
      err instanceof ApiError && err.code === 'POSSIBLE_DUPLICATE' ? err.message : '';
    this.feedback.showError(err);
  }

  private async registerPerson(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const odsCodes = data.getAll('odsCodes').map(String);
    const chooseOne = odsCodes.length
      ? []
      : [{ field: 'odsCodes', message: 'Choose at least one organisation' }];
    if (!this.feedback.check(form, chooseOne)) return;
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const optional = (k: string) => text(k) || undefined;
    const override = text('duplicateOverride.reason');
    await this.send(() =>
      ok(
        api.POST('/api/people', {
          body: {
            givenName: text('givenName'),
            middleNames: optional('middleNames'),
            familyName: text('familyName'),
            nameOnCard: optional('nameOnCard'),
            dateOfBirth: text('dateOfBirth'),
            email: optional('email'),
            phone: optional('phone'),
            odsCodes,
            username: optional('username'),
            duplicateOverride: this.duplicate && override ? { reason: override } : undefined,
          },
        }),
      ).then((registered) => {
        this.registered = registered;
        this.step = 'documents';
      }),
    );
  }

  private async recordDocuments(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const registered = this.registered;
    if (!registered || !this.feedback.check(form)) return;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const documents = Array.from({ length: this.rows }, (_, i) => ({
      type: text(`documents.${i}.type`) as DocumentType['type'],
      issuingCountry: text(`documents.${i}.issuingCountry`).toUpperCase(),
      number: text(`documents.${i}.number`),
      expiresOn: text(`documents.${i}.expiresOn`) || undefined,
    }));
    const override = text('duplicateOverride.reason');
    await this.send(() =>
      ok(
        api.POST('/api/people/{id}/identity-check', {
          params: { path: { id: registered.id } },
          body: {
            documents,
            duplicateOverride: this.duplicate && override ? { reason: override } : undefined,
          },
        }),
      ).then(() => {
        this.step = 'done';
      }),
    );
  }

  /** Sends one form; on success the next step starts clean, on refusal every problem shows. */
  private async send(call: () => Promise<unknown>) {
    this.sending = true;
    try {
      await call();
      this.duplicate = '';
      this.feedback.clear();
    } catch (err) {
      this.fail(err);
    } finally {
      this.sending = false;
    }
  }

  override render() {
    const stepNumber = this.step === 'details' ? 1 : this.step === 'documents' ? 2 : 3;
    const stepName =
      this.step === 'details'
        ? 'details'
        : this.step === 'documents'
          ? 'identity documents seen in person'
          : 'done';
    return html`
      <h1>${this.existingId ? 'Record an identity check' : 'Register a person'}</h1>
      ${this.existingId ? nothing : html`<p class="muted">Step ${stepNumber} of 3: ${stepName}</p>`}
      ${
        this.step === 'details'
          ? this.renderDetails()
          : this.step === 'documents'
            ? this.renderDocumentsStep()
            : this.renderDone()
      }
    `;
  }

  private field(
    name: string,
    label: string,
    options: {
      type?: string;
      hint?: string;
      required?: boolean;
      max?: number;
      pattern?: string;
      title?: string;
      autocomplete?: string;
    } = {},
  ) {
    return html`<div>
      <label for=${name}>${label}${options.hint ? html` <span class="hint">${options.hint}</span>` : ''}</label>
      <input id=${name} name=${name} type=${options.type ?? 'text'} ?required=${options.required ?? false}
        maxlength=${options.max ?? 100} pattern=${options.pattern ?? nothing} title=${options.title ?? nothing}
        autocomplete=${options.autocomplete ?? 'off'}
        aria-invalid=${this.feedback.invalid(name) ? 'true' : 'false'}
        aria-describedby=${this.feedback.describedBy(name)} />
      ${this.feedback.errorFor(name)}
    </div>`;
  }

  private renderDetails() {
    return html`<form class="card" @submit=${this.registerPerson} novalidate>
      ${this.feedback.summary()}
      <h2>Legal name, as on the documents</h2>
      <div class="grid">
        ${this.field('givenName', 'Given name', { required: true })}
        ${this.field('middleNames', 'Middle names')}
        ${this.field('familyName', 'Family name', { required: true })}
        ${this.field('nameOnCard', 'Name on card', { hint: 'If different', max: 60 })}
      </div>
      <h2>Other details</h2>
      <div class="grid">
        <div>
          <label for="dateOfBirth">Date of birth</label>
          <input id="dateOfBirth" name="dateOfBirth" type="date" required max=${today()}
            data-error="Enter a date of birth in the past"
            aria-invalid=${this.feedback.invalid('dateOfBirth') ? 'true' : 'false'}
            aria-describedby=${this.feedback.describedBy('dateOfBirth')} />
          ${this.feedback.errorFor('dateOfBirth')}
        </div>
        ${this.field('email', 'Work email', { type: 'email', max: 254 })}
        ${this.field('phone', 'Phone', { type: 'tel', max: 20, pattern: phonePattern, title: 'Enter a phone number, like 01727 123456' })}
        ${this.field('username', 'Login username', {
          hint: 'Optional: gives them a login',
          max: 64,
          pattern: usernamePattern,
          title: 'Use 3 to 64 lower-case letters, digits, dots and dashes',
        })}
      </div>
      ${this.renderOrganisations()}
      ${this.duplicate ? this.renderOverride() : nothing}
      <div class="actions"><button type="submit" ?disabled=${this.sending}>${this.duplicate ? 'Register anyway' : 'Continue'}</button></div>
    </form>`;
  }

  /**
   * Where the person works, chosen from the organisations the caller may register people in:
   * one is simply named, several are a check list.
   */
  private renderOrganisations() {
    const pending = () => html`<ra-loading></ra-loading>`;
    return this.organisations.render({
      initial: pending,
      pending,
      error: (err) =>
        html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The organisations could not be loaded.'}</p>`,
      complete: (orgs) => {
        if (!orgs) return nothing;
        if (orgs.length === 0)
          return html`<p class="message error">You cannot register people in any organisation.</p>`;
        const only = orgs.length === 1 ? orgs[0] : undefined;
        if (only)
          return html`<p>Organisation: <strong>${only.name}</strong> (${only.odsCode})</p>
            <input type="hidden" name="odsCodes" value=${only.odsCode} />
            ${this.feedback.errorFor('odsCodes')}`;
        return html`<ra-check-list legend="Organisations" field="odsCodes"
          hint="Where they work: the organisations you register people in"
          .options=${orgs.map((o) => ({ value: o.odsCode, code: o.odsCode, label: o.name }))}
          .value=${[]}
          .error=${this.feedback.errorFor('odsCodes')} ?invalid=${this.feedback.invalid('odsCodes')}></ra-check-list>`;
      },
    });
  }

  private renderOverride() {
    const name = 'duplicateOverride.reason';
    return html`<fieldset>
      <legend>Possible duplicate</legend>
      <p>${this.duplicate}</p>
      <label for="overrideReason">Why this is a different person <span class="hint">Recorded in the audit trail</span></label>
      <input id="overrideReason" name=${name} maxlength="500" minlength="3" required
        aria-invalid=${this.feedback.invalid(name) ? 'true' : 'false'}
        aria-describedby=${this.feedback.describedBy(name)} />
      ${this.feedback.errorFor(name)}
    </fieldset>`;
  }

  private renderDocumentsStep() {
    return this.documentsData.render({
      initial: () => html`<ra-loading></ra-loading>`,
      pending: () => html`<ra-loading></ra-loading>`,
      error: (err) =>
        html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'This page could not be loaded.'}</p>`,
      complete: (data) => (data ? this.renderDocuments(data.types, data.person) : nothing),
    });
  }

  private renderDocuments(types: DocumentType[], person: Schemas['PersonView'] | null) {
    const categories = Object.keys(categoryLabels) as Category[];
    return html`<form class="card" @submit=${this.recordDocuments} novalidate>
      ${this.feedback.summary()}
      ${person ? html`<p>For <strong>${person.givenName} ${person.familyName}</strong>, user ID ${person.userId}.</p>` : nothing}
      <p>Record three documents you have seen in person: at least one photo ID and one proof of address, none expired.
        Document numbers are kept only as a fingerprint to catch a second registration.</p>
      <fieldset class="documents" name="documents" id="documents">
        <legend class="visually-hidden">Documents seen in person</legend>
        ${this.feedback.errorFor('documents')}
        ${Array.from({ length: this.rows }, (_, i) => {
          const n = (field: string) => `documents.${i}.${field}`;
          const aria = (name: string) => ({
            invalid: this.feedback.invalid(name) ? 'true' : 'false',
            describedBy: this.feedback.describedBy(name),
          });
          return html`<fieldset name="documents.${i}" data-names-fields>
            <legend>Document ${i + 1}</legend>
            ${this.feedback.errorFor(`documents.${i}`)}
            <div class="grid">
              <div><label for="type${i}">Type</label>
                <select id="type${i}" name=${n('type')} required aria-invalid=${aria(n('type')).invalid}
                  aria-describedby=${aria(n('type')).describedBy}>
                  ${categories.map(
                    (c) =>
                      html`<optgroup label=${categoryLabels[c]}>${types
                        .filter((t) => t.category === c)
                        .map(
                          (t) =>
                            html`<option value=${t.type} ?selected=${defaultTypes[i] === t.type}>${t.label}</option>`,
                        )}</optgroup>`,
                  )}
                </select>
                ${this.feedback.errorFor(n('type'))}</div>
              <div><label for="number${i}">Document number</label>
                <input id="number${i}" name=${n('number')} required minlength="3" maxlength="64" autocomplete="off"
                  aria-invalid=${aria(n('number')).invalid} aria-describedby=${aria(n('number')).describedBy} />
                ${this.feedback.errorFor(n('number'))}</div>
              <div><label for="country${i}">Issuing country <span class="hint">e.g. GB</span></label>
                <input id="country${i}" name=${n('issuingCountry')} value="GB" maxlength="3" required pattern="[A-Za-z]{2,3}"
                  title="Enter a country code such as GB"
                  aria-invalid=${aria(n('issuingCountry')).invalid} aria-describedby=${aria(n('issuingCountry')).describedBy} />
                ${this.feedback.errorFor(n('issuingCountry'))}</div>
              <div><label for="expires${i}">Expires <span class="hint">If it has an expiry date</span></label>
                <input id="expires${i}" name=${n('expiresOn')} type="date"
                  aria-invalid=${aria(n('expiresOn')).invalid} aria-describedby=${aria(n('expiresOn')).describedBy} />
                ${this.feedback.errorFor(n('expiresOn'))}</div>
            </div>
          </fieldset>`;
        })}
      </fieldset>
      ${
        this.rows < 10
          ? html`<div class="actions"><button type="button" class="secondary" @click=${() => {
              this.rows += 1;
            }}>Add another document</button></div>`
          : nothing
      }
      ${this.duplicate ? this.renderOverride() : nothing}
      <div class="actions"><button type="submit" ?disabled=${this.sending}>${this.duplicate ? 'Record anyway' : 'Record identity check'}</button></div>
    </form>`;
  }

  private renderDone() {
    const r = this.registered;
    if (!r) return nothing;
    return html`<section class="card">
      <p class="message success" role="status">Identity checked: the person is active. User ID <strong data-testid="new-user-id">${r.userId.replace(/(\d{4})(?=\d)/g, '$1 ')}</strong>.</p>
      ${
        r.activation
          ? html`<h2>Login activation code</h2>
            <p>Give this code to ${r.activation.username} in person. It is shown once, and works until
              <span title=${dateTime(r.activation.expiresAt)}>${date(r.activation.expiresAt)}</span>. They choose their password at <strong>/activate</strong>.</p>
            <p class="code" data-testid="activation-code">${r.activation.code}</p>`
          : nothing
      }
      <div class="actions">
        <button type="button" @click=${() => navigate(`/people/${r.id}`)}>Open their record</button>
        ${
          this.existingId
            ? nothing
            : html`<button type="button" class="secondary" @click=${() => {
                this.step = 'details';
                this.registered = null;
                this.rows = 3;
              }}>Register someone else</button>`
        }
      </div>
    </section>`;
  }
}
customElements.define('ra-register-page', RaRegisterPage);
