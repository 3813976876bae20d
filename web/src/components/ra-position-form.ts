import { css, html, LitElement } from 'lit';
import { ApiError, type Schemas } from '../api/client.ts';
import { systemLabels } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

export interface PositionChoice {
  positionId: string;
  startDate?: string;
  endDate?: string;
  note?: string;
}

/**
 * A position the form offers: the API's `Position` or `RequestablePosition` (whose
 * `availability` says why one cannot be chosen), or anything with these fields.
 */
export interface PositionOption {
  id: string;
  name: string;
  odsCode: string;
  systems: readonly string[];
  assignable: boolean;
  availability?: Schemas['RequestablePosition']['availability'];
}

const unavailable: Record<string, string> = {
  held: 'held already',
  requested: 'asked for, waiting for a decision',
};

/**
 * Choose a position and its dates, to assign it or to request it. Problems show beside
 * their fields, every one at once, with a summary at the top of the form that takes focus.
 *
 * With `.send` (an async function of the choice, answering a success message), the form
 * sends and reports by itself. Without it, it fires `ra-position-chosen` with the
 * PositionChoice, and the page calls `showError(err)` or `succeed(message)` on it.
 */
export class RaPositionForm extends LitElement {
  static override properties = {
    positions: { attribute: false },
    submitLabel: { attribute: 'submit-label' },
    withNote: { type: Boolean, attribute: 'with-note' },
    formId: { attribute: 'form-id' },
    send: { attribute: false },
    busy: { state: true },
  };
  /** The positions to choose from. */
  declare positions: readonly PositionOption[];
  /** The button's words. */
  declare submitLabel: string;
  /** Ask for a note (requests); assignments need none. */
  declare withNote: boolean;
  /** Prefix for element ids, so two forms on a page stay distinct. */
  declare formId: string;
  /** Sends the choice; resolves to the success message, rejects with the refusal. */
  declare send: ((choice: PositionChoice) => Promise<string>) | undefined;
  declare busy: boolean;
  static override styles = [
    shared,
    css`
      select,
      input[name='note'] {
        width: 100%;
      }
      input[type='date'] {
        min-width: 12rem;
      }
    `,
  ];

  private readonly feedback = new FormFeedback(this);

  constructor() {
    super();
    this.positions = [];
    this.submitLabel = 'Assign';
    this.withNote = false;
    this.formId = 'pos';
    this.send = undefined;
    this.busy = false;
  }

  /** Shows a refusal: field problems beside their fields; a conflict over the position beside it. */
  showError(err: unknown) {
    if (err instanceof ApiError && !err.fieldProblems.length && err.code === 'CONFLICT') {
      // "already holds it", "the same request is already open": about the position chosen.
      this.feedback.show('There is a problem', [{ field: 'positionId', message: err.message }]);
      return;
    }
    this.feedback.showError(err, 'That was not saved. Try again.');
  }

  /** Forgets the last message (success or problems): the page did something else since. */
  clear() {
    this.feedback.clear();
  }

  /** Shows a success message and empties the form for the next one. */
  succeed(message: string) {
    this.renderRoot.querySelector('form')?.reset();
    this.feedback.succeed(message);
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    if (!this.feedback.check(form)) return;
    const data = new FormData(form);
    const value = (k: string) => String(data.get(k) ?? '').trim() || undefined;
    const choice: PositionChoice = { positionId: String(data.get('positionId') ?? '') };
    const startDate = value('startDate');
    const endDate = value('endDate');
    const note = value('note');
    if (startDate) choice.startDate = startDate;
    if (endDate) choice.endDate = endDate;
    if (note) choice.note = note;
    const today = new Date().toLocaleDateString('en-CA');
    if (endDate && endDate < (startDate ?? today)) {
      this.feedback.show('There is a problem', [
        {
          field: 'endDate',
          message: startDate
            ? 'Enter an end date on or after the start date'
            : 'Enter an end date from today, when it would start',
        },
      ]);
      return;
    }
    if (!this.send) {
      this.dispatchEvent(
        new CustomEvent<PositionChoice>('ra-position-chosen', {
          detail: choice,
          bubbles: true,
          composed: true,
        }),
      );
      return;
    }
    this.busy = true;
    try {
      this.succeed(await this.send(choice));
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy = false;
    }
  }

  private label(p: PositionOption): string {
    const systems = p.systems.map((s) => systemLabels[s] ?? s).join(', ');
    const why = p.availability ? unavailable[p.availability] : undefined;
    return `${p.name} (${p.odsCode})${systems ? ` — ${systems}` : ''}${why ? ` — ${why}` : p.assignable ? ' — assignable' : ''}`;
  }

  override render() {
    const id = this.formId;
    const f = this.feedback;
    const aria = (name: string) => ({
      invalid: f.invalid(name) ? 'true' : 'false',
      describedBy: f.describedBy(name),
    });
    return html`<form novalidate @submit=${this.submit}>
      ${f.summary()}
      <label for="${id}-position">Position</label>
      <select id="${id}-position" name="positionId" required
        aria-invalid=${aria('positionId').invalid} aria-describedby=${aria('positionId').describedBy}
        @change=${() => f.clear()}>
        <option value="">Choose a position</option>
        ${this.positions.map(
          (p) =>
            html`<option value=${p.id} ?disabled=${!!p.availability && p.availability !== 'requestable'}>${this.label(p)}</option>`,
        )}
      </select>
      ${f.errorFor('positionId')}
      <label for="${id}-start">Start date <span class="hint">Leave empty for today</span></label>
      <input id="${id}-start" name="startDate" type="date"
        aria-invalid=${aria('startDate').invalid} aria-describedby=${aria('startDate').describedBy} />
      ${f.errorFor('startDate')}
      <label for="${id}-end">End date <span class="hint">Optional</span></label>
      <input id="${id}-end" name="endDate" type="date"
        aria-invalid=${aria('endDate').invalid} aria-describedby=${aria('endDate').describedBy} />
      ${f.errorFor('endDate')}
      ${
        this.withNote
          ? html`<label for="${id}-note">Why is it needed?</label>
            <input id="${id}-note" name="note" maxlength="500"
              aria-invalid=${aria('note').invalid} aria-describedby=${aria('note').describedBy} />
            ${f.errorFor('note')}`
          : ''
      }
      <div class="actions"><button type="submit" ?disabled=${this.busy}>${this.submitLabel}</button></div>
    </form>`;
  }
}
customElements.define('ra-position-form', RaPositionForm);
