import { css, html, LitElement, nothing } from 'lit';
import { api, ok, type Schemas } from '../api/client.ts';
import { systemLabels } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

type AssignablePosition = Schemas['AssignablePosition'];

/** Above this many positions the form offers a filter by name. */
const filterFrom = 8;

/**
 * Give a person a position: assign it directly (`mode="assign"`) or raise a request for a
 * decider (`mode="request"`), from the positions the server says the caller may give them
 * that way. Shows its own problems beside its fields, and its success; fires
 * `ra-position-given` after either so the page can reload.
 */
export class RaGivePositionForm extends LitElement {
  static override properties = {
    personId: { attribute: 'person-id' },
    personName: { attribute: 'person-name' },
    mode: {},
    positions: { attribute: false },
    filter: { state: true },
    sending: { state: true },
  };
  declare personId: string;
  declare personName: string;
  declare mode: 'assign' | 'request';
  /** Positions the caller may give the person, each with how (`actions`). */
  declare positions: AssignablePosition[];
  declare filter: string;
  declare sending: boolean;
  private feedback = new FormFeedback(this);

  static override styles = [
    shared,
    css`
      select,
      input:not([type='date']) {
        width: 100%;
        max-width: 36rem;
      }
      .dates {
        display: flex;
        flex-wrap: wrap;
        gap: 0 1.25rem;
      }
    `,
  ];

  constructor() {
    super();
    this.personId = '';
    this.personName = '';
    this.mode = 'assign';
    this.positions = [];
    this.filter = '';
    this.sending = false;
  }

  private get choices() {
    const words = this.filter.trim().toLowerCase();
    return this.positions.filter(
      (p) =>
        p.actions.includes(this.mode) &&
        (!words || `${p.name} ${p.odsCode}`.toLowerCase().includes(words)),
    );
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    if (!this.feedback.check(form)) return;
    const data = new FormData(form);
    const value = (k: string) => String(data.get(k) ?? '').trim() || undefined;
    const positionId = value('positionId') ?? '';
    const name = this.positions.find((p) => p.id === positionId)?.name ?? 'The position';
    this.sending = true;
    try {
      if (this.mode === 'assign') {
        await ok(
          api.POST('/api/people/{id}/assignments', {
            params: { path: { id: this.personId } },
            body: { positionId, startDate: value('startDate'), endDate: value('endDate') },
          }),
        );
      } else {
        await ok(
          api.POST('/api/requests', {
            body: {
              kind: 'assign',
              personId: this.personId,
              positionId,
              startDate: value('startDate'),
              endDate: value('endDate'),
              note: value('note'),
            },
          }),
        );
      }
      form.reset();
      this.filter = '';
      this.feedback.succeed(
        this.mode === 'assign'
          ? `${name} assigned to ${this.personName}.`
          : `Request raised for ${name}: a sponsor or the RA team will decide it.`,
      );
      this.dispatchEvent(new CustomEvent('ra-position-given', { bubbles: true, composed: true }));
    } catch (err) {
      this.feedback.showError(err);
    } finally {
      this.sending = false;
    }
  }

  private control(name: string) {
    return {
      invalid: this.feedback.invalid(name) ? 'true' : 'false',
      describedBy: this.feedback.describedBy(name),
    };
  }

  override render() {
    const id = this.mode;
    const offered = this.positions.filter((p) => p.actions.includes(this.mode));
    const choices = this.choices;
    const byOrganisation = [...new Set(choices.map((p) => p.odsCode))];
    return html`<form @submit=${this.submit} novalidate>
      ${this.feedback.summary()}
      ${
        offered.length > filterFrom
          ? html`<label for="${id}-filter">Find a position <span class="hint">Part of its name or organisation</span></label>
            <input id="${id}-filter" type="search" autocomplete="off" .value=${this.filter}
              @input=${(e: Event) => {
                this.filter = (e.target as HTMLInputElement).value;
              }} />`
          : nothing
      }
      <label for="${id}-position">Position</label>
      <select id="${id}-position" name="positionId" required aria-invalid=${this.control('positionId').invalid}
        aria-describedby=${this.control('positionId').describedBy}>
        <option value="">${choices.length ? 'Choose a position' : 'No position matches'}</option>
        ${byOrganisation.map(
          (ods) =>
            html`<optgroup label=${ods}>${choices
              .filter((p) => p.odsCode === ods)
              .map(
                (p) =>
                  html`<option value=${p.id}>${p.name} — ${p.systems.map((s) => systemLabels[s] ?? s).join(', ')}</option>`,
              )}</optgroup>`,
        )}
      </select>
      ${this.feedback.errorFor('positionId')}
      <div class="dates">
        <div>
          <label for="${id}-start">Start date <span class="hint">Leave empty for today</span></label>
          <input id="${id}-start" name="startDate" type="date" aria-invalid=${this.control('startDate').invalid}
            aria-describedby=${this.control('startDate').describedBy} />
          ${this.feedback.errorFor('startDate')}
        </div>
        <div>
          <label for="${id}-end">End date <span class="hint">Optional</span></label>
          <input id="${id}-end" name="endDate" type="date" aria-invalid=${this.control('endDate').invalid}
            aria-describedby=${this.control('endDate').describedBy} />
          ${this.feedback.errorFor('endDate')}
        </div>
      </div>
      ${
        this.mode === 'request'
          ? html`<label for="${id}-note">Why is it needed?</label>
            <input id="${id}-note" name="note" maxlength="500" aria-invalid=${this.control('note').invalid}
              aria-describedby=${this.control('note').describedBy} />
            ${this.feedback.errorFor('note')}`
          : nothing
      }
      <div class="actions"><button type="submit" ?disabled=${this.sending}>${this.mode === 'assign' ? 'Assign' : 'Raise request'}</button></div>
    </form>`;
  }
}
customElements.define('ra-give-position-form', RaGivePositionForm);
