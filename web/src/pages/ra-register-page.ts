import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import type { FieldProblem, Person } from '../api/types.ts';
import { navigate } from '../router.ts';
import { shared } from '../styles.ts';

/** The documents an ID checker can record, grouped as e-GIF counts them. */
const documentGroups: [string, [string, string][]][] = [
  [
    'Photo ID',
    [
      ['passport', 'Passport'],
      ['photocard_driving_licence', 'Photocard driving licence'],
      ['biometric_residence_permit', 'Biometric residence permit'],
      ['armed_forces_id', 'Armed forces ID card'],
      ['pass_card', 'PASS card'],
      ['national_identity_card', 'National identity card (EEA)'],
    ],
  ],
  [
    'Proof of address',
    [
      ['utility_bill', 'Utility bill'],
      ['bank_statement', 'Bank or building society statement'],
      ['council_tax_bill', 'Council tax bill'],
      ['mortgage_statement', 'Mortgage statement'],
      ['hmrc_letter', 'HMRC tax notification'],
      ['tenancy_agreement', 'Tenancy agreement'],
    ],
  ],
  [
    'Other',
    [
      ['birth_certificate', 'Birth certificate'],
      ['marriage_certificate', 'Marriage or civil partnership certificate'],
      ['paper_driving_licence', 'Paper driving licence'],
      ['p45_p60', 'P45 or P60'],
      ['employment_letter', 'Letter of employment'],
    ],
  ],
];

const defaultTypes = ['passport', 'utility_bill', 'birth_certificate'];

interface Registered {
  id: string;
  userId: string;
  activation: { username: string; code: string; expiresAt: string } | null;
}

/**
 * Register a person, then record the identity documents seen in person. A possible
 * duplicate is shown with the existing record, and needs a reason to go on.
 */
export class RaRegisterPage extends LitElement {
  static override properties = {
    step: { state: true },
    registered: { state: true },
    person: { state: true },
    error: { state: true },
    problems: { state: true },
    duplicate: { state: true },
    rows: { state: true },
  };
  declare step: 'details' | 'documents' | 'done';
  declare registered: Registered | null;
  declare person: Person | null;
  declare error: string;
  declare problems: FieldProblem[];
  /** The server's word on a possible duplicate, while the user decides. */
  declare duplicate: string;
  declare rows: number;

  static override styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr));
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
      }
      legend {
        font-weight: 700;
      }
      .code {
        font-family: ui-monospace, monospace;
        font-size: 1.5rem;
        letter-spacing: 0.15em;
      }
    `,
  ];

  constructor() {
    super();
    this.step = 'details';
    this.registered = null;
    this.person = null;
    this.error = '';
    this.problems = [];
    this.duplicate = '';
    this.rows = 3;
  }

  override connectedCallback() {
    super.connectedCallback();
    const existing = new URLSearchParams(window.location.search).get('person');
    if (existing) void this.openExisting(existing);
  }

  private async openExisting(id: string) {
    try {
      this.person = await api.get<Person>(`/api/people/${id}`);
      this.registered = { id, userId: this.person.userId, activation: null };
      this.step = 'documents';
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'That person could not be loaded.';
    }
  }

  private fail(err: unknown) {
    if (err instanceof ApiError) {
      this.error = err.message;
      this.problems = err.fieldProblems;
      this.duplicate = err.code === 'POSSIBLE_DUPLICATE' ? err.message : '';
    } else {
      this.error = 'That did not work. Try again.';
    }
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>('.message.error')?.focus(),
    );
  }

  private problemFor(field: string) {
    return this.problems.find((p) => p.field === field || p.field.startsWith(`${field}.`))?.message;
  }

  private async registerPerson(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const body: Record<string, unknown> = {
      givenName: text('givenName'),
      familyName: text('familyName'),
      dateOfBirth: text('dateOfBirth'),
      odsCodes: text('odsCodes')
        .toUpperCase()
        .split(/[\s,]+/)
        .filter(Boolean),
    };
    for (const k of ['middleNames', 'nameOnCard', 'email', 'phone', 'username'])
      if (text(k)) body[k] = text(k);
    const override = text('overrideReason');
    if (this.duplicate && override) body.duplicateOverride = { reason: override };
    await this.send(body);
  }

  private async send(body: Record<string, unknown>) {
    this.error = '';
    this.problems = [];
    try {
      this.registered = await api.post<Registered>('/api/people', body);
      this.duplicate = '';
      this.step = 'documents';
    } catch (err) {
      this.fail(err);
    }
  }

  private async recordDocuments(event: SubmitEvent) {
    event.preventDefault();
    if (!this.registered) return;
    const data = new FormData(event.target as HTMLFormElement);
    const documents = Array.from({ length: this.rows }, (_, i) => {
      const doc: Record<string, string> = {
        type: String(data.get(`type${i}`) ?? ''),
        issuingCountry: String(data.get(`country${i}`) ?? '').toUpperCase(),
        number: String(data.get(`number${i}`) ?? ''),
      };
      const expires = String(data.get(`expires${i}`) ?? '');
      if (expires) doc.expiresOn = expires;
      return doc;
    });
    const body: Record<string, unknown> = { documents };
    const override = String(data.get('overrideReason') ?? '').trim();
    if (this.duplicate && override) body.duplicateOverride = { reason: override };
    this.error = '';
    this.problems = [];
    try {
      await api.post(`/api/people/${this.registered.id}/identity-check`, body);
      this.duplicate = '';
      this.step = 'done';
    } catch (err) {
      this.fail(err);
    }
  }

  override render() {
    return html`
      <h1>Register a person</h1>
      <p class="muted">Step ${this.step === 'details' ? 1 : this.step === 'documents' ? 2 : 3} of 3: ${
        this.step === 'details'
          ? 'details'
          : this.step === 'documents'
            ? 'identity documents seen in person'
            : 'done'
      }</p>
      <div role="alert">${this.error ? html`<p class="message error" tabindex="-1">${this.error}</p>` : ''}</div>
      ${this.step === 'details' ? this.renderDetails() : this.step === 'documents' ? this.renderDocuments() : this.renderDone()}
    `;
  }

  private field(
    name: string,
    label: string,
    options: { type?: string; hint?: string; required?: boolean; max?: number } = {},
  ) {
    const problem = this.problemFor(name);
    return html`<div>
      <label for=${name}>${label}${options.hint ? html` <span class="hint">${options.hint}</span>` : ''}</label>
      <input id=${name} name=${name} type=${options.type ?? 'text'} ?required=${options.required ?? false}
        maxlength=${options.max ?? 100} aria-invalid=${problem ? 'true' : 'false'}
        aria-describedby=${problem ? `${name}-error` : ''} />
      ${problem ? html`<p class="field-error" id="${name}-error">${problem}</p>` : ''}
    </div>`;
  }

  private renderDetails() {
    return html`<form class="card" @submit=${this.registerPerson} novalidate>
      <h2>Legal name, as on the documents</h2>
      <div class="grid">
        ${this.field('givenName', 'Given name', { required: true })}
        ${this.field('middleNames', 'Middle names')}
        ${this.field('familyName', 'Family name', { required: true })}
        ${this.field('nameOnCard', 'Name on card', { hint: 'If different', max: 60 })}
      </div>
      <h2>Other details</h2>
      <div class="grid">
        ${this.field('dateOfBirth', 'Date of birth', { type: 'date', required: true })}
        ${this.field('email', 'Work email', { type: 'email', max: 254 })}
        ${this.field('phone', 'Phone', { type: 'tel', max: 20 })}
        ${this.field('odsCodes', 'Organisations', { hint: 'ODS codes, e.g. RWG01', required: true, max: 70 })}
        ${this.field('username', 'Login username', { hint: 'Optional: gives them a login', max: 64 })}
      </div>
      ${this.duplicate ? this.renderOverride() : ''}
      <div class="actions"><button type="submit">${this.duplicate ? 'Register anyway' : 'Continue'}</button></div>
    </form>`;
  }

  private renderOverride() {
    return html`<fieldset>
      <legend>Possible duplicate</legend>
      <p>${this.duplicate}</p>
      <label for="overrideReason">Why this is a different person <span class="hint">Recorded in the audit trail</span></label>
      <input id="overrideReason" name="overrideReason" maxlength="500" size="60" required />
    </fieldset>`;
  }

  private renderDocuments() {
    return html`<form class="card" @submit=${this.recordDocuments} novalidate>
      <p>Record three documents you have seen in person: at least one photo ID and one proof of address, none expired.
        Document numbers are kept only as a fingerprint to catch a second registration.</p>
      ${Array.from({ length: this.rows }, (_, i) => {
        const problem = this.problemFor(`documents.${i}`);
        return html`<fieldset>
          <legend>Document ${i + 1}</legend>
          <div class="grid">
            <div><label for="type${i}">Type</label>
              <select id="type${i}" name="type${i}" required>
                ${documentGroups.map(([group, types]) => html`<optgroup label=${group}>${types.map(([value, label]) => html`<option value=${value} ?selected=${defaultTypes[i] === value}>${label}</option>`)}</optgroup>`)}
              </select></div>
            <div><label for="number${i}">Document number</label><input id="number${i}" name="number${i}" required maxlength="64" autocomplete="off" /></div>
            <div><label for="country${i}">Issuing country <span class="hint">e.g. GB</span></label><input id="country${i}" name="country${i}" value="GB" maxlength="3" required /></div>
            <div><label for="expires${i}">Expires <span class="hint">If it has an expiry date</span></label><input id="expires${i}" name="expires${i}" type="date" /></div>
          </div>
          ${problem ? html`<p class="field-error">${problem}</p>` : ''}
        </fieldset>`;
      })}
      <div class="actions"><button type="button" class="secondary" @click=${() => {
        this.rows = Math.min(this.rows + 1, 10);
      }}>Add another document</button></div>
      ${this.duplicate ? this.renderOverride() : ''}
      <div class="actions"><button type="submit">${this.duplicate ? 'Record anyway' : 'Record identity check'}</button></div>
    </form>`;
  }

  private renderDone() {
    const r = this.registered;
    if (!r) return html``;
    return html`<section class="card">
      <p class="message success" role="status">Identity checked: the person is active. User ID <strong data-testid="new-user-id">${r.userId.replace(/(\d{4})(?=\d)/g, '$1 ')}</strong>.</p>
      ${
        r.activation
          ? html`<h2>Login activation code</h2>
            <p>Give this code to ${r.activation.username} in person. It is shown once, and works until
              ${new Date(r.activation.expiresAt).toLocaleDateString('en-GB')}. They choose their password at <strong>/activate</strong>.</p>
            <p class="code" data-testid="activation-code">${r.activation.code}</p>`
          : ''
      }
      <div class="actions">
        <button type="button" @click=${() => navigate(`/people/${r.id}`)}>Open their record</button>
        <button type="button" class="secondary" @click=${() => {
          this.step = 'details';
          this.registered = null;
        }}>Register someone else</button>
      </div>
    </section>`;
  }
}
customElements.define('ra-register-page', RaRegisterPage);
